import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/process.ts";

Deno.test("deno task demo runs end to end as the README says, and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  for (
    const step of [
      /reply DELIVERED: .*"id":"demo-1"/,
      /reply PROCESSED: .*"exit_code":0/,
      /sample \w+: uptime \d+ s/,
      /upload arrived at the stats API: [1-9]\d* sample/,
      /state report applied: .*"version":1/,
      /state report rejected: .*"version":2,.*decides what runs/,
      /state report rolled_back: .*"version":3,.*"reason":"(offline|MQTT not back) 10 s after applying"/,
      /^mqtt: +connected to 127\.0\.0\.1:\d+$/m,
      /agent stopped \(exit 0\)/,
    ]
  ) {
    assert(step.test(text), `missing ${step} in:\n${text}`);
  }
});
