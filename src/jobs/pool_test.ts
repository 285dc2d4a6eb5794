import { assert, assertEquals } from "../../tests/support/assert.ts";
import { JobPool } from "./pool.ts";

Deno.test("JobPool runs at most `concurrency`, queues in order, refuses beyond the queue", async () => {
  const pool = new JobPool(() => ({ concurrency: 2, queue: 2 }));
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

Deno.test("JobPool takes new limits at its next decision", () => {
  const limits = { concurrency: 1, queue: 1 };
  const pool = new JobPool(() => limits);
  const gates = Array.from({ length: 3 }, () => Promise.withResolvers<void>());
  const started: number[] = [];
  for (let i = 0; i < 2; i++) pool.submit(() => (started.push(i), gates[i].promise));
  assertEquals([pool.running, pool.waiting, pool.hasRoom()], [1, 1, false]);
  limits.concurrency = 3;
  assert(pool.submit(() => (started.push(2), gates[2].promise)));
  assertEquals(started, [0, 1, 2], "the waiting one starts with the new concurrency");
  for (const gate of gates) gate.resolve();
});
