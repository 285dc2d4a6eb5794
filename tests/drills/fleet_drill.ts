/**
 * Fleet drill: a fleet of in-process agents on one mosquitto; the broker is killed and
 * started again. Every box must come back, and not in lock-step: the reconnects spread
 * over the backoff window, no more than 10 % of the fleet in any one second.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startBroker } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { tempDir } from "../support/process.ts";
import { type Box, report, startBox } from "./_drill.ts";

const RECONNECT_MAX_S = 30;
/**
 * 200 in the short run too: a fair draw of 100 boxes over 30 one-second bins (3.3 a second)
 * puts 11 (over 10 %) in one of them in about one run of 40, which failed CI once; with 200
 * the busiest second is 12-13 and 10 % is 20. The run takes `reconnect_max` either way.
 */
const BOXES = 200;

Deno.test(`fleet: ${BOXES} agents reconnect after a broker restart, spread out`, async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  const boxes: Box[] = [];
  try {
    for (let i = 0; i < BOXES; i++) {
      boxes.push(
        await startBox(i, dir.path, broker.port, { reconnect_max: RECONNECT_MAX_S }),
      );
    }
    const connects = (box: Box) => box.agent.counters.get("mqtt-connects");
    await until(() => boxes.every((b) => connects(b) === 1), "the fleet to connect", 60_000);

    await broker.kill();
    await until(
      () => boxes.every((b) => b.agent.counters.get("mqtt-disconnects") === 1),
      "every box to see the broker gone",
    );
    await broker.restart();
    const restartedAt = performance.now();
    const backAfterS = new Map<Box, number>();
    await until(
      () => {
        for (const box of boxes) {
          if (!backAfterS.has(box) && connects(box) === 2) {
            backAfterS.set(box, (performance.now() - restartedAt) / 1000);
          }
        }
        return backAfterS.size === boxes.length;
      },
      "the fleet to reconnect",
      (RECONNECT_MAX_S + 30) * 1000,
    );

    const histogram = new Array<number>(Math.ceil(Math.max(...backAfterS.values())) + 1).fill(0);
    for (const seconds of backAfterS.values()) histogram[Math.floor(seconds)]++;
    const busiest = Math.max(...histogram);
    const sorted = [...backAfterS.values()].sort((a, b) => a - b);
    report("fleet", {
      boxes: BOXES,
      "reconnect_max s": RECONNECT_MAX_S,
      "reconnected": backAfterS.size,
      "p50 s": sorted[Math.floor(sorted.length / 2)].toFixed(1),
      "last s": sorted.at(-1)!.toFixed(1),
      "busiest second": `${busiest} boxes (${(100 * busiest / BOXES).toFixed(1)} %)`,
      "per second": histogram.join(" "),
    });
    assertEquals(backAfterS.size, BOXES);
    assert(busiest <= BOXES * 0.1, `${busiest} of ${BOXES} boxes reconnected in one second`);
  } finally {
    await Promise.all(boxes.map((b) => b.agent.stop()));
  }
});
