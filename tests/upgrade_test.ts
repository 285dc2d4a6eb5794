/**
 * Firmware upgrades end to end: the agent (src/main.ts under exactly its preset) driven
 * through mosquitto, images from a local HTTPS server, and a fake `sysupgrade` that records
 * its arguments and "reboots" by SIGKILLing the agent that ran it. Replies are read with
 * mosquitto_sub; every restart is a real new process on the same state_dir.
 */
import { presetFlags } from "../scripts/bundle.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeCerts } from "./support/certs.ts";
import { boxConfig, boxFiles, writeConfig } from "./support/hardened_run.ts";
import { type Image, imageSha256, startImageServer } from "./support/image_server.ts";
import { publish, startBroker, subscribe, type Subscriber } from "./support/mosquitto.ts";
import { until } from "./support/poll.ts";
import { type LedgeProcess, MAIN, runLedge, spawnLedge, tempDir } from "./support/process.ts";

const MAC = "AA-BB-CC-00-00-17";
const JOBS = `sub/t/k/${MAC}`;
const MiB = 1024 * 1024;
const OLD = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.5'\nDISTRIB_REVISION='r24106'\n";
const NEW = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='24.10.0'\nDISTRIB_REVISION='r28427'\n";
const IMAGES: Record<string, Image> = {
  "/big.bin": { size: 64 * MiB, seed: 1 },
  "/small.bin": { size: 4 * MiB + 3, seed: 2 },
};

/** Records its arguments; `-T` passes (or hangs while `hold-test` exists); a flash installs
 * `next_release` if there is one, then "reboots": a new boot id, and SIGKILL to the agent
 * that ran it. */
const fakeSysupgrade = (dir: string) =>
  `#!/bin/sh
D='${dir}'
echo "$*" >> "$D/sysupgrade.calls"
if [ "$1" = "-T" ]; then
  if [ -e "$D/hold-test" ]; then echo $$ > "$D/test.pid"; exec sleep 600; fi
  exit 0
fi
if [ -e "$D/next_release" ]; then cp "$D/next_release" "$D/openwrt_release"; fi
cat /proc/sys/kernel/random/uuid > "$D/boot_id"
kill -9 "$PPID"
`;

/** The agent's `cat` (first on its PATH): the kernel's boot id is the test's, which a "reboot" changes. */
const fakeCat = (dir: string) =>
  `#!/bin/sh
if [ "$1" = /proc/sys/kernel/random/boot_id ]; then exec /bin/cat '${dir}/boot_id'; fi
exec /bin/cat "$@"
`;

interface UpgradeBox extends AsyncDisposable {
  dir: string;
  server: ReturnType<typeof startImageServer>;
  replies: Subscriber;
  /** Starts the agent (again) and waits for it to be up and subscribed. */
  start(): Promise<LedgeProcess>;
  /** Sends a `sysupgrade` job for one of IMAGES. */
  send(id: string, path: string, meta?: Record<string, unknown>): Promise<void>;
  /**
   * Sends a job refused at once (no command) and waits for its answer: by then every job
   * before it is acknowledged to the broker (a job is acknowledged after its handler, in
   * order), so a kill does not make the broker deliver one of them again.
   */
  settle(id: string): Promise<void>;
  /** The first reply (seen or future) for `id` with this event. */
  reply(id: string, event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every reply for `id`, in order. */
  events(id: string): string[];
  calls(): Promise<string[]>;
  ctl(command: string, ...args: string[]): Promise<Record<string, unknown>>;
}

async function upgradeBox(): Promise<UpgradeBox> {
  await using stack = new AsyncDisposableStack();
  const dir = stack.use(await tempDir("ledge-upgrade-")).path;
  await Deno.mkdir(`${dir}/certs`);
  const certs = await makeCerts(`${dir}/certs`);
  const broker = stack.use(await startBroker());
  const server = stack.use(
    startImageServer(IMAGES, {
      cert: await Deno.readTextFile(certs.serverCert),
      key: await Deno.readTextFile(certs.serverKey),
    }),
  );
  const replies = stack.use(
    await subscribe(broker.port, [`pub/t/k/${MAC}`, `delivery/t/k/${MAC}`]),
  );
  await Deno.mkdir(`${dir}/tmp`);
  await Deno.writeTextFile(`${dir}/openwrt_release`, OLD);
  await Deno.writeTextFile(`${dir}/sysupgrade`, fakeSysupgrade(dir), { mode: 0o755 });
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(`${dir}/bin/cat`, fakeCat(dir), { mode: 0o755 });
  await Deno.writeTextFile(`${dir}/boot_id`, crypto.randomUUID());
  const socket = boxFiles(dir).control_socket;
  const config = await writeConfig(dir, {
    ...boxConfig(broker.port, MAC),
    ...boxFiles(dir),
    upgrade: {
      hosts: [new URL(server.origin).host],
      program: `${dir}/sysupgrade`,
      dir: `${dir}/tmp`,
      release_file: `${dir}/openwrt_release`,
    },
  });
  const flags = await presetFlags(config, MAIN);
  let agent: LedgeProcess | undefined;
  const stopAgent = async () => {
    agent?.kill("SIGKILL");
    await agent?.status;
  };
  const pending = stack.move();
  const parse = (line: string) => JSON.parse(line.slice(line.indexOf(" ") + 1));
  const reply = async (id: string, event: string, timeoutMs = 60_000) =>
    parse(
      await replies.waitFor(
        new RegExp(`^\\S+ \\{"id":"${id}".*"event_type":"${event}"`),
        timeoutMs,
      ),
    );
  return {
    dir,
    server,
    replies,
    async start() {
      agent = spawnLedge(["run", `--config=${config}`, "--log-format=json"], {
        flags,
        // The image server's certificate is signed by the test CA.
        env: { DENO_CERT: certs.ca, PATH: `${dir}/bin:${Deno.env.get("PATH")}` },
      });
      await agent.waitFor(/"message":"agent started"/, 60_000);
      // Subscribed: a job published before the first subscription would reach nobody.
      await agent.waitFor(/"message":"connected to broker"/, 60_000);
      return agent;
    },
    send: (id, path, meta = {}) =>
      publish(
        broker.port,
        JOBS,
        JSON.stringify({
          id,
          timestamp: Math.floor(Date.now() / 1000),
          meta: {
            msg: "",
            type: "sysupgrade",
            url: `${server.origin}${path}`,
            sha256: imageSha256(IMAGES[path]),
            ...meta,
          },
        }),
      ),
    async settle(id) {
      await publish(broker.port, JOBS, JSON.stringify({ id, meta: {} }));
      await reply(id, "REJECTED");
    },
    reply,
    events: (id) =>
      replies.messages.filter((m) => m.includes(`{"id":"${id}"`)).map((m) => parse(m).event_type),
    calls: async () =>
      (await Deno.readTextFile(`${dir}/sysupgrade.calls`).catch(() => "")).split("\n")
        .filter(Boolean),
    async ctl(command, ...args) {
      const out = await runLedge(["ctl", "-S", socket, "--json", command, ...args], flags);
      return JSON.parse(out.stdout);
    },
    [Symbol.asyncDispose]: async () => {
      await stopAgent();
      const testPid = await Deno.readTextFile(`${dir}/test.pid`).catch(() => "");
      if (testPid) Deno.kill(Number(testPid), "SIGKILL");
      await pending.disposeAsync();
    },
  };
}

/** Private_Dirty of a process, in KiB: what a router cannot reclaim (through `cat`: Deno
 * grants another process's /proc only with -A). */
async function anonKib(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/smaps_rollup`] }).output();
  const match = /^Private_Dirty:\s+(\d+) kB/m.exec(new TextDecoder().decode(out.stdout));
  if (!match) throw new Error(`process ${pid} is gone`);
  return Number(match[1]);
}

const FINAL = new Set(["PROCESSED", "FAILED", "CANCELLED", "REJECTED", "DUPLICATE"]);
const finals = (events: string[]) => events.filter((e) => FINAL.has(e));

Deno.test("sysupgrade: a 64 MB image, flashed, answered PROCESSED after the reboot; memory flat; redelivery DUPLICATE", async () => {
  await using box = await upgradeBox();
  await Deno.writeTextFile(`${box.dir}/next_release`, NEW);
  let agent = await box.start();
  const pid = agent.child.pid;
  // A first download (refused for its hash) warms up TLS, fetch and the code on the way.
  await box.send("fw-0", "/small.bin", { sha256: "0".repeat(64) });
  await box.reply("fw-0", "FAILED");
  const idle = await anonKib(pid);
  await box.send("fw-1", "/big.bin", { version: "24.10.0" });
  // Sampled until the fake sysupgrade "reboots" the box.
  let peak = idle;
  const sampling = (async () => {
    for (;;) {
      try {
        peak = Math.max(peak, await anonKib(pid));
      } catch {
        return; // the process is gone
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  await box.reply("fw-1", "FLASHING", 120_000);
  const status = await agent.status;
  await sampling;
  assertEquals(status.signal, "SIGKILL", "the flash reboots the box");
  console.log(
    `64 MB image: anonymous memory ${idle} KiB idle, ${peak} KiB peak while downloading ` +
      `(+${((peak - idle) / 1024).toFixed(1)} MiB)`,
  );
  assert(peak - idle < 16 * 1024, `memory grew ${peak - idle} KiB while downloading 64 MB`);
  assertEquals(await box.calls(), [
    `-T ${box.dir}/tmp/ledge-upgrade/sysupgrade.bin`,
    `${box.dir}/tmp/ledge-upgrade/sysupgrade.bin`,
  ]);

  agent = await box.start();
  const processed = await box.reply("fw-1", "PROCESSED");
  assertEquals([processed.before, processed.after], ["23.05.5 r24106", "24.10.0 r28427"]);
  const events = box.events("fw-1");
  assertEquals(events.filter((e) => e !== "DOWNLOADING"), [
    "DELIVERED",
    "VERIFIED",
    "FLASHING",
    "PROCESSED",
  ]);
  const progress = box.replies.messages
    .filter((m) => m.includes('{"id":"fw-1"') && m.includes('"DOWNLOADING"'))
    .map((m) => JSON.parse(m.slice(m.indexOf(" ") + 1)).progress);
  assertEquals(progress, [0, 25, 50, 75, 100], "DOWNLOADING at each quarter");

  const info = (await box.ctl("job-info", "job-id", "fw-1"))["job-info"] as { state: string };
  assertEquals(info.state, "PROCESSED", "job-info after the reboot, from the upgrade journal");
  await box.send("fw-1", "/big.bin", { version: "24.10.0" });
  await box.reply("fw-1", "DUPLICATE");
  const upgrade = (await box.ctl("upgrade-status"))["upgrade-status"] as Record<string, unknown>;
  assertEquals([upgrade.id, upgrade.step, (upgrade.result as { event_type: string }).event_type], [
    "fw-1",
    "done",
    "PROCESSED",
  ]);
  assertEquals((await box.calls()).length, 2, "flashed once");
});

Deno.test("sysupgrade: kill -9 while downloading, while testing, and a flash that does not take: one answer each, no second flash", async () => {
  await using box = await upgradeBox();
  let agent = await box.start();

  box.server.stallAfter(MiB);
  await box.send("fw-dl", "/small.bin");
  await box.reply("fw-dl", "DOWNLOADING");
  agent.kill("SIGKILL");
  await agent.status;
  box.server.release();
  agent = await box.start();
  const downloading = await box.reply("fw-dl", "FAILED");
  assertEquals(downloading.reason, "the agent restarted at downloading; nothing was flashed");

  await Deno.writeTextFile(`${box.dir}/hold-test`, "");
  await box.send("fw-test", "/small.bin");
  await until(
    () => Deno.stat(`${box.dir}/test.pid`).then(() => true, () => false),
    "sysupgrade -T",
  );
  agent.kill("SIGKILL");
  await agent.status;
  Deno.kill(Number(await Deno.readTextFile(`${box.dir}/test.pid`)), "SIGKILL");
  await Deno.remove(`${box.dir}/test.pid`);
  await Deno.remove(`${box.dir}/hold-test`);
  agent = await box.start();
  await box.reply("fw-test", "FAILED");

  // The flash "reboots" without installing anything.
  await box.send("fw-same", "/small.bin", { version: "24.10.0" });
  await agent.status;
  agent = await box.start();
  const same = await box.reply("fw-same", "FAILED");
  assertEquals(same.reason, "running 23.05.5 r24106, expected 24.10.0: the flash did not take");

  for (const id of ["fw-dl", "fw-test", "fw-same"]) {
    assertEquals(finals(box.events(id)), ["FAILED"], `${id}: ${box.events(id).join(" ")}`);
  }
  const flashes = (await box.calls()).filter((call) => !call.startsWith("-T"));
  assertEquals(flashes.length, 1, "only fw-same reached the flash, once");
});

Deno.test("sysupgrade: a window not open yet waits (job-info says until when); refusals say why", async () => {
  await using box = await upgradeBox();
  let agent = await box.start();
  // The box's zone: this machine has no /etc/config/system nor /etc/TZ, so UTC.
  const hhmm = (date: Date) =>
    `${String(date.getUTCHours()).padStart(2, "0")}:${
      String(date.getUTCMinutes()).padStart(2, "0")
    }`;
  const opens = new Date(Date.now() + 2 * 3600_000);
  const closes = new Date(Date.now() + 3 * 3600_000);
  const window = `${hhmm(opens)}-${hhmm(closes)}`;
  await box.send("fw-later", "/small.bin", { window });
  await box.reply("fw-later", "DELIVERED");
  await until(async () => {
    const info = (await box.ctl("job-info", "job-id", "fw-later"))["job-info"] as {
      reason?: string;
    };
    return /^waits for its window/.test(info.reason ?? "");
  }, "job-info to say the job waits");
  const info = (await box.ctl("job-info", "job-id", "fw-later"))["job-info"] as { reason: string };
  assertMatch(
    info.reason,
    new RegExp(`^waits for its window ${window}: downloads and flashes at `),
  );
  const status = (await box.ctl("upgrade-status"))["upgrade-status"] as Record<string, number>;
  assertEquals(status.step, "waiting");
  const flashAt = status.flash_at * 1000;
  assert(flashAt >= opens.getTime() - 60_000 && flashAt <= closes.getTime(), String(flashAt));
  assertEquals(box.server.requests, [], "nothing downloaded before the window");

  await box.send("fw-second", "/small.bin");
  const second = await box.reply("fw-second", "REJECTED");
  assertEquals(second.reason, "an upgrade is in progress: job fw-later (waiting)");

  // A refused job is not remembered: killed before the broker has its acknowledgement, the
  // broker would deliver fw-second again and the next agent would take it.
  await box.settle("settled");
  agent.kill("SIGKILL");
  await agent.status;
  agent = await box.start();
  const later = await box.reply("fw-later", "FAILED");
  assertEquals(later.reason, "the agent restarted at waiting; nothing was flashed");

  // job-cancel ends an upgrade that waits; the next one is taken.
  await box.send("fw-cancel", "/small.bin", { window });
  await box.reply("fw-cancel", "DELIVERED");
  await until(async () => {
    const status = (await box.ctl("upgrade-status"))["upgrade-status"] as {
      id: string;
      flash_at?: number;
    };
    return status.id === "fw-cancel" && status.flash_at !== undefined;
  }, "the upgrade to wait for its window");
  const answer = await box.ctl("job-cancel", "job-id", "fw-cancel");
  assertEquals([answer.code, answer["job-cancel"]], [200, { cancelled: "fw-cancel" }]);
  const cancelled = await box.reply("fw-cancel", "CANCELLED");
  assertEquals(cancelled.reason, "cancelled by job-cancel at waiting; nothing was flashed");
  assertEquals(box.server.requests, [], "nothing downloaded");

  await box.send("fw-nosha", "/small.bin", { sha256: undefined });
  const noSha = await box.reply("fw-nosha", "REJECTED");
  assertMatch(String(noSha.reason), /^invalid meta\.sha256: is required/);
  await box.send("fw-badsha", "/small.bin", { sha256: "f".repeat(64) });
  const badSha = await box.reply("fw-badsha", "FAILED");
  assertMatch(
    String(badSha.reason),
    /^sha256 mismatch: the image is [0-9a-f]{64}, expected f{64}$/,
  );
  await box.send("fw-stranger", "/small.bin", { url: "https://example.com/fw.bin" });
  const stranger = await box.reply("fw-stranger", "REJECTED");
  assertMatch(String(stranger.reason), /^image host example\.com is not in upgrade\.hosts/);
  assertEquals(await box.calls(), [], "nothing tested or flashed");
});

Deno.test("sysupgrade: an image directory a local user planted (a link) is refused, nothing written through it", async () => {
  await using box = await upgradeBox();
  await Deno.mkdir(`${box.dir}/victim`);
  await Deno.symlink(`${box.dir}/victim`, `${box.dir}/tmp/ledge-upgrade`);
  await box.start();
  await box.send("fw-link", "/small.bin");
  const failed = await box.reply("fw-link", "FAILED");
  assertEquals(failed.reason, `${box.dir}/tmp/ledge-upgrade is a symbolic link; refused`);
  assertEquals([...Deno.readDirSync(`${box.dir}/victim`)], []);
  assertEquals(await box.calls(), [], "nothing tested or flashed");
});
