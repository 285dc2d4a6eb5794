import { assert, assertEquals } from "../../tests/support/assert.ts";
import { JobPool } from "./pool.ts";

Deno.test("JobPool runs at most `concurrency`, queues in order, refuses beyond the queue", async () => {
  const pool = new JobPool(2, 2);
  const started: number[] = [];
  const starts = Array.from({ length: 5 }, () => Promise.withResolvers<void>());
  const gates = Array.from({ length: 5 }, () => Promise.withResolvers<void>());
  const task = (i: number) => () => {
    started.push(i);
    starts[i].resolve();
    return gates[i].promise;
  };
  for (let i = 0; i < 4; i++) assert(pool.submit(task(i)));
  assertEquals([pool.running, pool.waiting, started], [2, 2, [0, 1]]);
  assertEquals(pool.submit(task(4)), false, "the queue is full");
  gates[1].resolve();
  await starts[2].promise;
  assertEquals(started, [0, 1, 2]);
  gates[0].reject(new Error("a failing task frees its slot too"));
  await starts[3].promise;
  assertEquals(started, [0, 1, 2, 3]);
  assertEquals([pool.running, pool.waiting], [2, 0]);
  assert(pool.hasRoom());
});
