import { assertEquals } from "../../tests/support/assert.ts";
import { testConfig, testContext } from "../../tests/support/context.ts";
import { FakeExec, okResult } from "../../tests/support/fakes.ts";
import { until } from "../../tests/support/poll.ts";
import { tempDir } from "../../tests/support/process.ts";
import type { ExecRequest } from "../io/mod.ts";
import { signJob } from "../jobs/signature.ts";
import { DesiredService } from "./service.ts";

const SECRET = "a-desired-secret-of-some-length";

/** A desired-state capability with a uci that knows one option, and a recorder of reports. */
async function signedBox(dir: string) {
  const options = new Map([["wireless.radio0.channel", "11"]]);
  const exec = new FakeExec((request: ExecRequest) => {
    const [, verb, path] = request.argv.filter((a) => a !== "-q");
    if (verb === "get") {
      const value = options.get(path);
      return value === undefined ? okResult("", 1) : okResult(`${value}\n`);
    }
    if (verb === "set") options.set(path.split("=")[0], path.split("=").slice(1).join("="));
    return okResult("");
  });
  const config = testConfig({ mac: "AA-BB", state_dir: dir, job_secret: SECRET, desired: {} });
  const reports: Record<string, unknown>[] = [];
  const service = new DesiredService(testContext(config, { exec }), {
    publish: (report) => Promise.resolve(void reports.push(JSON.parse(report))),
    online: () => Promise.resolve(true),
    mqttUp: () => false,
  });
  await service.start();
  return { service, reports, options };
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

Deno.test("with job_secret, a desired state must be signed as jobs are, with no age limit", async () => {
  await using dir = await tempDir();
  const { service, reports, options } = await signedBox(dir.path);
  const state = { version: 2, timestamp: 1, uci: { "wireless.radio0.channel": "36" } };
  await service.receive(encode({ ...state, sig: "00".repeat(32) }));
  await until(() => reports.length === 1, "the refusal");
  assertEquals([reports[0].status, reports[0].reason], ["rejected", "bad signature"]);
  assertEquals(options.get("wireless.radio0.channel"), "11");

  // Signed years ago: still good (versions only rise, so it cannot be replayed over a newer one).
  await service.receive(encode({ ...state, sig: await signJob(state, SECRET) }));
  await until(() => reports.length === 2, "the report");
  assertEquals(reports[1].status, "applied");
  assertEquals(options.get("wireless.radio0.channel"), "36");
  await service.stop();
});
