import { assertEquals } from "../../tests/support/assert.ts";
import { memoryLogger } from "../log/logger.ts";
import { testConfig } from "../../tests/support/context.ts";
import { type Provisioner, reprovisioner } from "./run.ts";

Deno.test("reprovisioner: one ask per refusal window, one at a time; a changed config reloads", async () => {
  let asks = 0;
  let reloads = 0;
  const reloaded = Promise.withResolvers<void>();
  let answer!: (changed: boolean) => void;
  const provisioner: Provisioner = () => {
    asks++;
    return new Promise((resolve) =>
      answer = (changed) => resolve({ config: testConfig({}), changed })
    );
  };
  const { log, lines } = memoryLogger();
  const ask = reprovisioner(
    provisioner,
    () => Promise.resolve(void reloads++).then(reloaded.resolve),
    new AbortController().signal,
    log,
  );
  ask();
  ask(); // a second 401 while the first ask is out
  answer(true);
  await reloaded.promise;
  ask(); // within the 10 minutes
  assertEquals([asks, reloads], [1, 1]);
  assertEquals(lines.filter((l) => l.includes("asking the init server")).length, 1);
});
