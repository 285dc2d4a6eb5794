import { installFakeUci } from "../../scripts/fake_uci.ts";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { testConfig, testContext } from "../../tests/support/context.ts";
import { alteredFs } from "../../tests/support/fakes.ts";
import { until } from "../../tests/support/poll.ts";
import { tempDir } from "../../tests/support/process.ts";
import { denoExec } from "../io/mod.ts";
import { signJob } from "../signing/mod.ts";
import { DesiredCapability } from "./capability.ts";

const SECRET = "a-desired-secret-of-some-length";
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
type Report = Record<string, unknown>;

interface BoxOptions {
  /** Whether a health round started now says online (default: always). */
  online?: (clock: ManualClock) => boolean;
  /** `desired` keys beside the fake uci's paths. */
  desired?: Record<string, unknown>;
}

/**
 * A desired-state capability over the fake `uci` (a real program, as the agent runs it) with
 * a WiFi key and a DNS list, a fake clock, and a recorder of reports and of the writes to
 * `desired.json`.
 */
async function box(dir: string, options: BoxOptions = {}) {
  const uci = await installFakeUci(dir, [
    "wireless.radio0.channel=11",
    "wireless.default_radio0.key=old-psk-1234",
    "dhcp.lan.dns+=8.8.8.8",
    "dhcp.lan.dns+=1.1.1.1",
  ]);
  await Deno.writeTextFile(`${dir}/reload_config`, "#!/bin/sh\n", { mode: 0o755 });
  const clock = new ManualClock();
  const saves: string[] = [];
  const fs = alteredFs((path) =>
    path.endsWith("desired.json.tmp") ? saves.push(path) && {} : undefined
  );
  const config = testConfig({
    mac: "AA-BB",
    state_dir: dir,
    job_secret: SECRET,
    desired: {
      uci,
      reload: `${dir}/reload_config`,
      confirm_s: 30,
      settle_s: 5,
      ...options.desired,
    },
  });
  const reports: Report[] = [];
  const ctx = testContext(config, { clock, fs, exec: denoExec });
  const service = new DesiredCapability(ctx, {
    publish: (report) => Promise.resolve(void reports.push(JSON.parse(report))),
    online: () => Promise.resolve(options.online?.(clock) ?? true),
    mqttUp: () => false,
    confirmPollMs: 1000,
  });
  await service.start();
  const signed = async (state: Record<string, unknown>, to = "AA-BB") => {
    const message = { ...state, timestamp: 1, to };
    return encode({ ...message, sig: await signJob(message, SECRET) });
  };
  const uciExport = async (name: string) =>
    new TextDecoder().decode(
      (await new Deno.Command(uci, { args: ["export", name] }).output()).stdout,
    );
  const command = (name: string) => ctx.commands.execute({ command: name });
  return { service, reports, saves, clock, signed, uciExport, command };
}

/**
 * Runs the fake clock on, half a second at a time, until `done` holds: each step lets the
 * woken code run, and real work (the fake uci is a real program) gets real time to finish.
 */
async function runClock(clock: ManualClock, done: () => boolean, what: string) {
  await until(async () => {
    if (!done()) await clock.advance(500);
    return done();
  }, what);
}

Deno.test("with job_secret, a desired state must be signed as jobs are, for this box, with no age limit", async () => {
  await using dir = await tempDir();
  const { service, reports, clock, signed, uciExport } = await box(dir.path);
  const state = { version: 2, uci: { "wireless.radio0.channel": "36" } };
  await service.receive(encode({ ...state, timestamp: 1, sig: "00".repeat(32) }));
  await until(() => reports.length === 1, "the refusal");
  assertEquals([reports[0].status, reports[0].reason], ["rejected", "bad signature"]);
  // Well signed with the fleet's secret, for another box: its high version would block ours.
  await service.receive(await signed({ version: 90, uci: {} }, "AA-BB-99"));
  await runClock(clock, () => reports.length === 2, "the second refusal");
  assertEquals([reports[1].status, reports[1].reason], ["rejected", "not for this box"]);
  reports.length = 1;
  assert((await uciExport("wireless")).includes("option channel '11'"));

  // Signed years ago: still good (versions only rise, so it cannot be replayed over a newer one).
  await service.receive(await signed(state));
  await runClock(clock, () => reports.length === 2, "the report");
  assertEquals(reports[1].status, "applied");
  assert((await uciExport("wireless")).includes("option channel '36'"));
  await service.stop();
});

Deno.test("a refused state's report shows nothing of the box; an applied one masks secret options and says what is applied", async () => {
  await using dir = await tempDir();
  const { service, reports, clock, signed } = await box(dir.path);
  const key = "wireless.default_radio0.key";
  await service.receive(await signed({ version: 5, uci: { [key]: "new-psk-5678" } }));
  await runClock(clock, () => reports.length === 1, "version 5 applied");
  assertEquals(reports[0].status, "applied");
  assertEquals(reports[0].applied, 5);
  assertEquals(reports[0].reported, { uci: { [key]: "***" } });

  await service.receive(encode({ version: 6, uci: { [key]: "x" }, timestamp: 1, sig: "00" }));
  await service.receive(await signed({ version: 7, uci: { "firewall.wan.input": "ACCEPT" } }));
  await runClock(
    clock,
    () => reports.length === 3,
    "both refusals, the second at the period's end",
  );
  for (const report of reports.slice(1)) {
    assertEquals([report.status, report.applied, report.reported], ["rejected", 5, {}]);
  }
  assertEquals(reports.map((r) => r.version), [5, 6, 7]);
  await service.stop();
});

Deno.test("a flood of refused states writes nothing to flash and publishes one report a period", async () => {
  await using dir = await tempDir();
  const { service, reports, saves, clock } = await box(dir.path);
  for (let version = 1; version <= 2000; version++) {
    await service.receive(encode({ version, uci: {}, timestamp: 1, sig: "00" }));
  }
  await until(() => reports.length === 1, "the first refusal");
  await runClock(clock, () => reports.length === 2, "the last refusal of the period");
  assertEquals(reports.map((r) => r.version), [1, 2000]);
  assertEquals(saves, [], "no rewrite of desired.json");
  await service.stop();
});

Deno.test("a change is confirmed only by health rounds after the settle time, held for it", async () => {
  await using dir = await tempDir();
  let appliedAt = Infinity;
  // Online until the services take the change a second after reload_config returned.
  const { service, reports, clock, signed, uciExport } = await box(dir.path, {
    online: (clock) => clock.monotonic() < appliedAt + 1000,
  });
  await service.receive(await signed({ version: 2, uci: { "wireless.radio0.channel": "36" } }));
  await until(() => service.state().startsWith("confirming"), "the change written");
  appliedAt = clock.monotonic();
  await runClock(clock, () => reports.length === 1, "the outcome");
  assertEquals(reports[0].status, "rolled_back");
  assertEquals(reports[0].reason, "offline 30 s after applying");
  assert((await uciExport("wireless")).includes("option channel '11'"), "the channel put back");
  await service.stop();
});

Deno.test("a UCI list is set as a list, backed up as one and restored as one", async () => {
  await using dir = await tempDir();
  const { service, reports, clock, signed, uciExport, command } = await box(dir.path);
  await service.receive(await signed({ version: 3, uci: { "dhcp.lan.dns": ["9.9.9.9"] } }));
  await runClock(clock, () => reports.length === 1, "applied");
  assertEquals(reports[0].reported, { uci: { "dhcp.lan.dns": ["9.9.9.9"] } });
  assertEquals(await uciExport("dhcp"), "package dhcp\n\nconfig lan 'lan'\n\tlist dns '9.9.9.9'\n");

  assertEquals((await command("rollback")).status, "ok");
  assertEquals(
    await uciExport("dhcp"),
    "package dhcp\n\nconfig lan 'lan'\n\tlist dns '8.8.8.8'\n\tlist dns '1.1.1.1'\n",
  );
  assertEquals(reports[1].reported, { uci: { "dhcp.lan.dns": ["8.8.8.8", "1.1.1.1"] } });
  await service.stop();
});
