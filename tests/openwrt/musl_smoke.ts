/**
 * `deno task test:musl`: the package on stock OpenWRT's userland. For x86_64 (natively) and
 * aarch64 (under qemu), the .ipk is installed in a musl-only root the way opkg does it (and
 * for x86_64 also the .apk, from its signed feed, the way apk does it) and
 * the agent is started as procd starts it (`/usr/bin/ledge run` in procd's environment, its
 * LD_PRELOAD included), under
 * the preset its installed config gets, against a mosquitto and a stats API on the host:
 * a job runs, ctl answers, /proc is read, a sample is uploaded, SIGHUP reloads, SIGTERM
 * exits 0, and nothing was written outside /etc/ledge, the state and cache dirs and /tmp.
 */
import { bundle } from "../../scripts/bundle.ts";
import { buildTarget, TARGETS } from "../../scripts/package.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { boxConfig, CAPABILITIES } from "../support/hardened_run.ts";
import { publish, startBroker, subscribe } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { tempDir, watchLines } from "../support/process.ts";
import { startStatsApi } from "../support/stats_api.ts";
import { feedKey } from "../../scripts/package/apk_feed.ts";
import { readAdb } from "../../scripts/package/apk/read.ts";
import { verifies } from "../../scripts/package/apk/sign.ts";
import {
  inRoot,
  installApk,
  installIpk,
  type MuslRoot,
  muslRoot,
  PROCD_ENV,
  strayGlibc,
} from "./_musl_root.ts";

const MAC = "02-00-00-00-0A-01";
const TAIL = `t/k/${MAC}`;
const decoder = new TextDecoder();

/** `ledge ctl --json COMMAND` inside the root. */
async function ctl(root: MuslRoot, ...command: string[]) {
  const out = await inRoot(root, ["/usr/bin/ledge", "ctl", "--json", ...command]).output();
  const text = decoder.decode(out.stdout);
  assertEquals(out.code, 0, `${text}${decoder.decode(out.stderr)}`);
  return JSON.parse(text);
}

/** Files changed since `since` outside what the agent may write (tmpfs is /tmp here). */
async function writtenOutside(root: MuslRoot, since: number): Promise<string[]> {
  const allowed = ["/tmp", "/etc/ledge", "/proc", "/sys", "/dev"];
  const changed: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      const inside = path.slice(root.path.length);
      if (allowed.some((a) => inside === a || inside.startsWith(`${a}/`))) continue;
      const info = await Deno.lstat(path);
      if ((info.mtime?.getTime() ?? 0) > since) changed.push(inside);
      if (entry.isDirectory) await walk(path);
    }
  };
  await walk(root.path);
  return changed;
}

// The packages are built from this checkout's code, once.
await bundle();

/** Each target's .ipk; the .apk where a musl root of its arch runs natively. */
const RUNS = [
  ...TARGETS.map((target) => ({ target, format: "ipk" as const })),
  ...TARGETS.filter((t) => t.arch === "x86_64").map((target) => ({
    target,
    format: "apk" as const,
  })),
];
const feed = await feedKey();

for (const { target, format } of RUNS) {
  Deno.test(`stock OpenWRT ${target.arch}: the .${format} in a musl-only root runs the hardened smoke`, async (t) => {
    await using dir = await tempDir("ledge-musl-");
    await using broker = await startBroker();
    await using api = startStatsApi();
    await using watch = await subscribe(broker.port, [`delivery/${TAIL}`, `pub/${TAIL}`]);
    const built = await buildTarget(target, { feedKey: format === "apk" ? feed.key : undefined });
    const arch = target.openwrt[0];
    const root = await muslRoot(target, `${dir.path}/root`);

    await t.step(
      `installed as ${format === "ipk" ? "opkg" : "apk"} does it, no glibc but in /usr/lib/ledge`,
      async () => {
        if (format === "ipk") {
          await installIpk(
            root,
            built.files.find((f) => f.endsWith(`_${arch}.ipk`))!,
            `${dir.path}/ipk`,
          );
        } else {
          const index = await readAdb(
            await Deno.readFile(built.files.find((f) => f.endsWith(`/${arch}/packages.adb`))!),
          );
          assert(await verifies(index, feed.key.public), "the feed's index is signed with its key");
          const checked = await installApk(
            root,
            built.files.find((f) => f.endsWith(`/${arch}/ledge-${built.version}.apk`))!,
          );
          assertEquals(checked.info.arch, arch);
          const listed = await Deno.readTextFile(`${root.path}/lib/apk/packages/ledge.list`);
          assert(listed.split("\n").includes("/usr/lib/ledge/ledge.js"), listed);
        }
        assertEquals(await strayGlibc(root), []);
        const state = await Deno.stat(`${root.path}/etc/ledge/state`);
        assertEquals(state.mode! & 0o777, 0o700, "postinst made the state dir");
      },
    );

    await Deno.writeTextFile(
      `${root.path}/etc/ledge/config.json`,
      JSON.stringify({ ...boxConfig(broker.port, MAC), stats_url: api.url }),
    );
    const since = Date.now();
    const agent = inRoot(
      root,
      ["/usr/bin/ledge", "run", "--config=/etc/ledge/config.json"],
      PROCD_ENV,
    ).spawn();
    const log = watchLines(agent.stderr);
    const stdout = new Response(agent.stdout).text();
    try {
      await t.step("starts under its config's preset with every capability running", async () => {
        const started = await log.waitFor(/INFO ledge agent started/, 120_000);
        // Upgrades and desired state are off: the config names no image host, no `desired`.
        for (const name of CAPABILITIES.filter((name) => !["upgrade", "desired"].includes(name))) {
          assert(started.includes(name), started);
        }
        assertEquals(log.lines.filter((l) => /disabled|failed to start/.test(l)), []);
        const flags = await Deno.readTextFile(`${root.path}/tmp/run/ledge/flags`);
        assert(!flags.includes("--allow-all") && flags.includes("--allow-run="), flags);
      });

      await t.step("a job published with mosquitto_pub runs in busybox sh", async () => {
        // Its first session: the broker keeps jobs for it only once it has subscribed.
        await log.waitFor(/INFO mqtt connected to broker/, 60_000);
        const job = {
          id: `musl-${target.arch}`,
          timestamp: Math.floor(Date.now() / 1000),
          meta: { msg: "echo from-musl; cut -d' ' -f1 /proc/uptime", type: "command" },
        };
        await publish(broker.port, `sub/${TAIL}`, JSON.stringify(job));
        const line = await watch.waitFor(new RegExp(`^pub/.*"musl-${target.arch}"`), 60_000);
        const reply = JSON.parse(line.slice(line.indexOf(" ") + 1));
        assertEquals(reply.event_type, "PROCESSED", line);
        assertMatch(reply.meta.msg, /^from-musl\n\d+\.\d+\n$/);
      });

      await t.step("ctl status and collect from inside the root: /proc read", async () => {
        const status = (await ctl(root, "status"))["agent-status"];
        assertMatch(status.mqtt, /^connected to 127\.0\.0\.1/);
        const sample = (await ctl(root, "collect")).collect;
        assert(typeof sample.device.uptime === "number" && sample.device.total_ram > 0);
        const lo = sample.interfaces.find((i: { name: string }) => i.name === "lo");
        assertEquals(
          [typeof lo?.ifindex, typeof lo?.mtu],
          ["number", "number"],
          JSON.stringify(lo),
        );
        const checks = (await ctl(root, "health")).health["last-checks"];
        assertEquals(checks.route.result, "ok", "/proc/net/route read under the preset");
      });

      await t.step(
        "memory is given back in idle moments (ledge.sh sets the trim variable)",
        async () => {
          await until(
            async () => (await ctl(root, "counters")).counters["memory-trims"] >= 1,
            "a trim",
            90_000,
          );
          assertMatch((await ctl(root, "status"))["agent-status"].mqtt, /^connected/);
        },
      );

      await t.step("a sample reaches the stats API", async () => {
        const flushed = (await ctl(root, "flush")).flush;
        // The periodic upload may have sent them already (the trim step waits a minute).
        await until(() => api.accepted().length >= 1, "a sample at the stats API", 60_000);
        assertEquals(flushed.rejected, 0, JSON.stringify(flushed));
      });

      await t.step("SIGHUP reloads, SIGTERM stops with exit 0", async () => {
        agent.kill("SIGHUP");
        await log.waitFor(/INFO ledge config reloaded/, 60_000);
        agent.kill("SIGTERM");
        const status = await agent.status;
        assertEquals(status.code, 0, log.lines.join("\n"));
        await log.waitFor(/INFO ledge agent stopped/);
      });

      await t.step(
        "nothing written outside /etc/ledge, the state and cache dirs and tmpfs",
        async () => {
          assertEquals(await writtenOutside(root, since), []);
        },
      );
    } finally {
      try {
        agent.kill("SIGKILL");
      } catch { /* gone */ }
      await agent.status;
      await stdout;
      await log.done;
    }
  });
}
