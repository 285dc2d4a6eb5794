import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { testConfig, testContext } from "../../tests/support/context.ts";
import { FakeExec, okResult } from "../../tests/support/fakes.ts";
import { imageSha256, startImageServer } from "../../tests/support/image_server.ts";
import { until } from "../../tests/support/poll.ts";
import { tempDir } from "../../tests/support/process.ts";
import { type Clock, denoNet, type ExecRequest, systemClock } from "../io/mod.ts";
import type { JobReply, ReplyRoute } from "../replies/mod.ts";
import { saveUpgrade, upgradeJournalPath, type UpgradeRecord } from "./record.ts";
import { parseUpgradeRequest, type UpgradeRequest } from "./request.ts";
import { MEMORY_RESERVE } from "./flow.ts";
import { UpgradeCapability } from "./capability.ts";
import type { TimeZone } from "./zone.ts";

const MiB = 1024 * 1024;
const IMAGE = { size: 3 * MiB + 5, seed: 7 };
const OLD = "DISTRIB_RELEASE='23.05.5'\nDISTRIB_REVISION='r24106'\n";
const NEW = "DISTRIB_RELEASE='24.10.0'\nDISTRIB_REVISION='r28427'\n";

/** Retries and online polls go at once; the download timeout stays a real timer. */
const quickClock: Clock = {
  ...systemClock,
  sleep: (ms, signal) => ms < 60_000 ? Promise.resolve() : systemClock.sleep(ms, signal),
};

interface Box extends AsyncDisposable {
  dir: string;
  origin: string;
  server: ReturnType<typeof startImageServer>;
  replies: JobReply[];
  /** Each reply's route, by event. */
  routes: [string, ReplyRoute | undefined][];
  /**
   * A fresh agent's upgrade capability on the same disk: after a reboot (a new boot id), or
   * a respawn in the same boot.
   */
  boot(
    options?: {
      memory?: number;
      exec?: FakeExec;
      clock?: Clock;
      respawn?: boolean;
      zone?: TimeZone;
    },
  ): Promise<UpgradeCapability>;
  request(meta?: Record<string, unknown>): UpgradeRequest;
  exec: FakeExec;
}

async function box(): Promise<Box> {
  const dir = await tempDir();
  const server = startImageServer({ "/fw.bin": IMAGE });
  await Deno.writeTextFile(`${dir.path}/openwrt_release`, OLD);
  const replies: JobReply[] = [];
  const routes: [string, ReplyRoute | undefined][] = [];
  const exec = new FakeExec();
  const services: UpgradeCapability[] = [];
  let boots = 0;
  const config = testConfig({
    mac: "AA-BB",
    state_dir: dir.path,
    upgrade: {
      hosts: ["127.0.0.1"],
      program: "/sbin/sysupgrade",
      dir: dir.path,
      release_file: `${dir.path}/openwrt_release`,
    },
  });
  const origin = server.origin;
  return {
    dir: dir.path,
    origin,
    server,
    replies,
    routes,
    exec,
    async boot(options = {}) {
      const ctx = testContext(config, {
        clock: options.clock ?? quickClock,
        exec: options.exec ?? exec,
        net: denoNet,
      });
      if (!options.respawn) boots++;
      const boot = `boot-${boots}`;
      const deps = {
        send: (reply: JobReply, route?: ReplyRoute) => {
          replies.push(reply);
          routes.push([reply.event_type, route]);
          return undefined;
        },
        beforeFlash: () => Promise.resolve(),
        online: () => Promise.resolve(true),
      };
      const service = new UpgradeCapability(ctx, deps, {
        memoryAvailable: () => options.memory,
        random: () => 0.5,
        bootId: () => Promise.resolve(boot),
        zone: () => Promise.resolve(options.zone ?? {}),
      });
      await service.start();
      services.push(service);
      return service;
    },
    request: (meta = {}) => {
      const request = parseUpgradeRequest({
        url: `${origin}/fw.bin`,
        sha256: imageSha256(IMAGE),
        ...meta,
      });
      if (!request.ok) throw new Error(request.reason);
      return request.value;
    },
    [Symbol.asyncDispose]: async () => {
      for (const service of services) await service.stop();
      await server[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function upgrade(
  service: UpgradeCapability,
  id: string,
  request: UpgradeRequest,
  route?: ReplyRoute,
) {
  const settled: JobReply[] = [];
  await service.claim(id, route).run(request, {
    note: () => {},
    settled: (r) => settled.push(r),
  });
  return settled;
}

const events = (replies: JobReply[]) => replies.map((r) => r.event_type);
const flashes = (exec: FakeExec) => exec.calls.filter((c) => !c.includes(" -T "));

Deno.test("upgrade: download, verify, test, flash; the agent after the reboot says PROCESSED", async () => {
  await using b = await box();
  b.server.failNext(2, 503);
  const first = await b.boot({ memory: 512 * MiB });
  assertEquals(await upgrade(first, "u1", b.request({ version: "24.10.0", keep: false })), []);
  assertEquals(b.server.requests.length, 3, "two 503s, then the image");
  assertEquals(b.exec.calls, [
    `/sbin/sysupgrade -T ${b.dir}/ledge-upgrade/sysupgrade.bin`,
    `/sbin/sysupgrade -n ${b.dir}/ledge-upgrade/sysupgrade.bin`,
  ]);
  assertEquals(first.status()?.step, "flashing");
  const progress = b.replies.filter((r) => r.event_type === "DOWNLOADING").map((r) => r.progress);
  assertEquals(progress.at(-1), 100);
  assert(progress.length <= 3 * 5, `DOWNLOADING sent at most at each quarter: ${progress}`);

  // The flash took: the agent after the reboot finds the new firmware.
  await first.stop();
  await Deno.writeTextFile(`${b.dir}/openwrt_release`, NEW);
  const after = await b.boot();
  await assertSettles(after);
  const final = b.replies.at(-1)!;
  assertEquals([final.event_type, final.before, final.after], [
    "PROCESSED",
    "23.05.5 r24106",
    "24.10.0 r28427",
  ]);
  assertEquals(events(b.replies).filter((e) => e === "PROCESSED").length, 1);
  assertEquals(events(b.replies).slice(-3), ["VERIFIED", "FLASHING", "PROCESSED"]);

  // Any later agent has nothing more to say.
  const count = b.replies.length;
  await (await b.boot()).stop();
  assertEquals(b.replies.length, count);
});

Deno.test("upgrade with an MQTT 5 route: its answer after the reboot goes to the response topic; progress carries the user properties", async () => {
  await using b = await box();
  const route = { responseTopic: "answers/u1", correlation: "AQL6", userProperties: [["t", "1"]] };
  const first = await b.boot({ memory: 512 * MiB });
  await upgrade(first, "u1", b.request(), route as ReplyRoute);
  await first.stop();
  await Deno.writeTextFile(`${b.dir}/openwrt_release`, NEW);
  await assertSettles(await b.boot());
  const progress = { userProperties: [["t", "1"]] };
  assertEquals(b.routes.filter(([event]) => event !== "DOWNLOADING"), [
    ["VERIFIED", progress],
    ["FLASHING", progress],
    ["PROCESSED", route],
  ]);
});

/** Waits for the service's final answer to be sent, then stops it (its journal written). */
async function assertSettles(service: UpgradeCapability) {
  await until(() => service.status()?.sent === true, `an answer from ${service.state()}`);
  await service.stop();
}

Deno.test("upgrade refusals: not enough memory, hash mismatch, sysupgrade -T; nothing flashed", async () => {
  await using b = await box();
  const tight = await b.boot({ memory: MEMORY_RESERVE + 2 * MiB });
  const [memory] = await upgrade(tight, "mem", b.request());
  assertMatch(
    String(memory.reason),
    /^not enough memory: the image is 3\.0 MiB, at most 2\.0 MiB fit/,
  );
  await tight.stop();

  const roomy = await b.boot({ memory: 512 * MiB });
  const [mismatch] = await upgrade(roomy, "hash", b.request({ sha256: "0".repeat(64) }));
  assertMatch(
    String(mismatch.reason),
    /^sha256 mismatch: the image is [0-9a-f]{64}, expected 0{64}$/,
  );
  await roomy.stop();

  const refusing = new FakeExec((request: ExecRequest) =>
    request.argv[1] === "-T" ? okResult("Image metadata not present\n", 1) : okResult("")
  );
  const tested = await b.boot({ memory: 512 * MiB, exec: refusing });
  const [test] = await upgrade(tested, "test", b.request());
  assertEquals(
    test.reason,
    "sysupgrade -T refused the image (exit 1): Image metadata not present",
  );
  assertEquals(events([memory, mismatch, test]), ["FAILED", "FAILED", "FAILED"]);
  assertEquals(flashes(b.exec).length + flashes(refusing).length, 0);
  assertEquals(
    [...Deno.readDirSync(b.dir)].map((e) => e.name).filter((n) => n.endsWith(".bin")),
    [],
    "a refused image is removed",
  );
});

Deno.test("upgrade: cancelled while it waits for its window: CANCELLED, nothing downloaded or flashed", async () => {
  await using b = await box();
  const service = await b.boot({ memory: 512 * MiB });
  const hhmm = (date: Date) =>
    `${String(date.getUTCHours()).padStart(2, "0")}:${
      String(date.getUTCMinutes()).padStart(2, "0")
    }`;
  const window = `${hhmm(new Date(Date.now() + 2 * 3600_000))}-${
    hhmm(new Date(Date.now() + 3 * 3600_000))
  }`;
  const settled: JobReply[] = [];
  const running = service.claim("w1").run(b.request({ window }), {
    note: () => {},
    settled: (reply) => settled.push(reply),
  });
  await until(() => service.status()?.flash_at !== undefined, "the upgrade to wait");
  assertEquals(service.cancel("w2"), false, "not that upgrade");
  assert(service.cancel("w1"));
  await running;
  assertEquals(settled.map((r) => [r.event_type, r.reason]), [
    ["CANCELLED", "cancelled by job-cancel at waiting; nothing was flashed"],
  ]);
  assertEquals([b.server.requests.length, b.exec.calls], [0, []]);
  assertEquals(service.cancel("w1"), false, "over already");
  assertEquals(service.refusal(b.request()), undefined, "the next upgrade is taken");
});

Deno.test("upgrade: a host not listed and a second upgrade are refused before anything starts", async () => {
  await using b = await box();
  const service = await b.boot();
  assertEquals(
    service.refusal(b.request({ url: "https://elsewhere.example/fw.bin" })),
    "image host elsewhere.example is not in upgrade.hosts (127.0.0.1)",
  );
  service.claim("first");
  assertEquals(service.refusal(b.request()), "an upgrade is in progress: job first (accepted)");
});

Deno.test("upgrade after a crash: before FLASHING it is FAILED and never flashed; at FLASHING the firmware decides", async () => {
  await using b = await box();
  const record = (id: string, step: UpgradeRecord["step"]): UpgradeRecord => ({
    id,
    image: `${b.origin}/fw.bin`,
    sha256: imageSha256(IMAGE),
    keep: true,
    before: "23.05.5 r24106",
    step,
    since: 1,
    accepted: 1,
  });
  const path = upgradeJournalPath(b.dir);
  for (const step of ["waiting", "downloading", "verified"] as const) {
    await saveUpgrade(path, record(step, step), denoFsOf());
    await assertSettles(await b.boot());
    assertEquals(b.replies.at(-1)!.reason, `the agent restarted at ${step}; nothing was flashed`);
  }
  await saveUpgrade(path, record("flashed-nothing", "flashing"), denoFsOf());
  await assertSettles(await b.boot());
  assertEquals(
    b.replies.at(-1)!.reason,
    "firmware unchanged (23.05.5 r24106): the flash did not take",
  );
  assertEquals(events(b.replies), ["FAILED", "FAILED", "FAILED", "FAILED"]);
  assertEquals(b.exec.calls, [], "a restart never flashes");

  // Decided but not yet sent when the agent died: sent once by the next one.
  await saveUpgrade(path, {
    ...record("decided", "done"),
    result: { event_type: "FAILED", reason: "offline" },
  }, denoFsOf());
  await assertSettles(await b.boot());
  await b.boot();
  assertEquals(b.replies.filter((r) => r.id === "decided").length, 1);
});

function denoFsOf() {
  return testContext(testConfig({ mac: "AA-BB" })).io.fs;
}

Deno.test("upgrade: a download that never connects fails after three tries, its URL's token unsaid", async () => {
  await using b = await box();
  const service = await b.boot();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  const url = `http://127.0.0.1:${port}/fw.bin?token=s3cr3t-t0ken`;
  const [failed] = await upgrade(service, "offline", b.request({ url }));
  assertMatch(String(failed.reason), /^download failed: /);
  const said = JSON.stringify([b.replies, service.status()]);
  assert(!said.includes("s3cr3t-t0ken"), said);
  assertEquals(b.exec.calls, []);
});

Deno.test("upgrade: an image server that gzips gets asked for the identity encoding; one that gzips anyway is hashed decoded", async () => {
  await using b = await box();
  for (const gzip of ["when-asked", "always"] as const) {
    b.server.gzip = gzip;
    const service = await b.boot({ memory: 512 * MiB });
    assertEquals(await upgrade(service, `gz-${gzip}`, b.request()), [], `${gzip}: flashing`);
    assertEquals(service.status()?.step, "flashing");
    await service.stop();
    await Deno.remove(upgradeJournalPath(b.dir));
  }
  assertEquals(flashes(b.exec).length, 2);
});

Deno.test("upgrade: every redirect hop is checked against upgrade.hosts; an unlisted one is FAILED once, its host named", async () => {
  await using b = await box();
  const port = new URL(b.origin).port;
  // Listed → unlisted (localhost is not 127.0.0.1 to upgrade.hosts) → listed.
  b.server.redirect("/a.bin", `http://localhost:${port}/b.bin`);
  b.server.redirect("/b.bin", `${b.origin}/fw.bin`);
  const service = await b.boot({ memory: 512 * MiB });
  const [failed] = await upgrade(service, "hop", b.request({ url: `${b.origin}/a.bin` }));
  assertEquals(
    [failed.event_type, failed.reason],
    ["FAILED", `download redirected to localhost:${port}, not in upgrade.hosts`],
  );
  assertEquals(b.server.requests, ["/a.bin"], "the unlisted hop never asked, nothing retried");
  b.server.redirect("/c.bin", "/fw.bin");
  assertEquals(await upgrade(service, "same-host", b.request({ url: `${b.origin}/c.bin` })), []);
  assertEquals(service.status()?.step, "flashing", "a listed hop is followed");
});

Deno.test("upgrade: sysupgrade -T is the step `testing`; a 65 KB URL is refused before anything is journaled", async () => {
  await using b = await box();
  const steps: string[] = [];
  const service = await b.boot({
    memory: 512 * MiB,
    exec: new FakeExec((request: ExecRequest) => {
      steps.push(`${request.argv[1]} at ${service.status()?.step}`);
      return okResult("");
    }),
  });
  await upgrade(service, "t", b.request());
  assertEquals(steps, ["-T at testing", `${b.dir}/ledge-upgrade/sysupgrade.bin at flashing`]);
  const long = parseUpgradeRequest({
    url: `${b.origin}/fw.bin?${"x".repeat(65 * 1024)}`,
    sha256: imageSha256(IMAGE),
  });
  assertEquals(long, { ok: false, reason: "invalid meta.url: must be at most 2048 characters" });
});

Deno.test("upgrade: an agent respawned while sysupgrade runs waits for the reboot; the agent after it answers", async () => {
  await using b = await box();
  const first = await b.boot({ memory: 512 * MiB });
  await upgrade(first, "oom", b.request({ version: "24.10.0" }));
  assertEquals(first.status()?.step, "flashing");
  await first.stop();
  // Killed by the OOM killer mid-flash; procd starts it again in the same boot.
  const clock = new ManualClock();
  const respawned = await b.boot({ respawn: true, clock });
  await clock.nextSleep(0);
  assertEquals(clock.sleeps, [15 * 60_000], "waits for the reboot");
  assertEquals(events(b.replies).filter((e) => e === "FAILED"), [], "no answer from it");
  await respawned.stop();
  // The flash took; the box rebooted.
  await Deno.writeTextFile(`${b.dir}/openwrt_release`, NEW);
  await assertSettles(await b.boot());
  assertEquals(events(b.replies).at(-1), "PROCESSED");
});

Deno.test("upgrade: the window is in the box's zone, and the clock is asked again while it waits", async () => {
  await using b = await box();
  // 12:00 UTC is 13:00 in Berlin in November; the window opens at 13:30 there.
  const clock = new ManualClock(Date.parse("2026-11-24T12:00:00Z"));
  const service = await b.boot({
    memory: 512 * MiB,
    clock,
    zone: { iana: "Nowhere/Unknown", posix: "CET-1CEST,M3.5.0,M10.5.0/3" },
  });
  const running = upgrade(service, "tz", b.request({ window: "13:30-13:31" }));
  await until(() => service.status()?.flash_at !== undefined, "the wait");
  assertEquals(service.status()?.flash_at, Date.parse("2026-11-24T12:30:00Z") / 1000);
  // NTP moves the clock 20 minutes on while it waits: it downloads when the new clock says.
  await clock.advance(60_000);
  clock.step(20 * 60_000);
  for (let minute = 0; service.status()?.step === "waiting" && minute < 60; minute++) {
    await clock.advance(60_000);
  }
  const started = clock.now() - Date.parse("2026-11-24T12:30:30Z");
  assert(started >= 0 && started < 60_000, `downloads at 13:30:30 Berlin time, +${started} ms`);
  await running;
  assertEquals(service.status()?.step, "flashing");
});
