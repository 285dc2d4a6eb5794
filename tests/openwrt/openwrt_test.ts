/**
 * `deno task test:openwrt`: the aarch64 package's whole life on a real OpenWRT userland
 * (tests/openwrt/_box.ts: its own opkg, procd, ubusd, uci, logd, rc.common, reload_config
 * and sysupgrade, under qemu), through the box's own tools, never stubs: install, enable and
 * start, jobs from a broker outside the box, ctl and a collection inside it, an upload to a
 * stats API outside, reloads (SIGHUP, and a restart for other permissions), a respawn after
 * kill -9, `uci commit ledge; reload_config` right after install, a desired state through
 * the real uci, logd's levels, what sysupgrade keeps, an upgrade keeping an admin's config
 * and disable, and removal. The packages are built here under a group-writable umask, as a
 * careless builder's would be.
 *
 * Skipped, and says so, where there is no OpenWRT root filesystem (LEDGE_OPENWRT_ROOTFS).
 */
import { bundle } from "../../scripts/bundle.ts";
import { writeIpks } from "../../scripts/package/ipk.ts";
import { stage, TARGETS } from "../../scripts/package/stage.ts";
import { VERSION } from "../../src/version.ts";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { publish, startBroker, subscribe } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { tempDir } from "../support/process.ts";
import { startStatsApi } from "../support/stats_api.ts";
import { bootBox, type Box, boxUnavailable } from "./_box.ts";

const unavailable = await boxUnavailable();
if (unavailable) console.log(`OpenWRT life-cycle test SKIPPED: ${unavailable}`);

const MAC = "02-00-00-00-0B-01";
const TAIL = `t/k/${MAC}`;
const ARCH = "aarch64_generic";
const CONFIG = "/etc/ledge/box.json";

/** procd's view of the ledge service: its instance, if procd has one. */
async function instance(box: Box): Promise<{ running: boolean; pid?: number; command: string[] }> {
  const list = JSON.parse(
    await box.ok(["/bin/ubus", "call", "service", "list", '{"name":"ledge"}']),
  );
  return list.ledge?.instances?.instance1 ?? { running: false, command: [] };
}

/** Waits for a running instance that `holds`; returns it. */
async function runningWhere(
  box: Box,
  holds: (i: Awaited<ReturnType<typeof instance>>) => boolean,
  what: string,
) {
  let found: Awaited<ReturnType<typeof instance>> | undefined;
  await until(
    async () => {
      const now = await instance(box);
      if (now.running && holds(now)) found = now;
      return found !== undefined;
    },
    what,
    180_000,
  );
  return found!;
}

/** `ledge ctl --json COMMAND` on the box, as root. */
async function ctl(box: Box, ...command: string[]) {
  return JSON.parse(await box.ok(["/usr/bin/ledge", "ctl", "--json", ...command]));
}

/** The log lines of the agent with this pid, as logread shows them. */
async function agentLog(box: Box, pid: number): Promise<string[]> {
  return (await box.logread()).split("\n").filter((line) => line.includes(`ledge[${pid}]: `));
}

/** `755 root /etc`-style lines for `paths` on the box, in that order (busybox has no stat). */
async function modes(box: Box, ...paths: string[]): Promise<string> {
  const lines: string[] = [];
  for (const path of paths) {
    const [perms, , owner] = (await box.ok(["/bin/ls", "-ld", path])).split(/\s+/);
    const bits = [...perms.slice(1, 10)].map((c) => (c === "-" ? "0" : "1")).join("");
    lines.push(`${parseInt(bits, 2).toString(8)} ${owner} ${path}`);
  }
  return lines.join("\n");
}

/** The box's log lines of ledge and procd, to say what happened when a wait failed. */
async function recentLog(box: Box): Promise<string> {
  return (await box.logread()).split("\n").filter((l) => /ledge|procd/.test(l)).slice(-40)
    .join("\n");
}

async function logged(box: Box, pid: number, pattern: RegExp, what: string) {
  try {
    await until(async () => (await agentLog(box, pid)).some((l) => pattern.test(l)), what, 180_000);
  } catch (error) {
    throw new Error(`${(error as Error).message} (pid ${pid}):\n${await recentLog(box)}`);
  }
}

Deno.test({
  name: "OpenWRT: the aarch64 .ipk installs, runs under procd, upgrades and is removed",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using dir = await tempDir("ledge-openwrt-");
    const target = TARGETS.find((t) => t.arch === "aarch64")!;
    const single = { ...target, openwrt: [ARCH] };
    await bundle();
    // Built as a builder with umask 002 would: modes in the package must not follow it.
    const umask = Deno.umask(0o002);
    const ipks: string[] = [];
    try {
      const staged = await stage(target, `${dir.path}/stage`);
      for (const release of [1, 2, 3]) {
        const work = `${dir.path}/work-${release}`;
        await Deno.mkdir(work);
        ipks.push(...await writeIpks(single, staged, `${VERSION}-r${release}`, work, dir.path));
      }
    } finally {
      Deno.umask(umask);
    }
    await using box = await bootBox();
    console.log(`booted in ${box.bootMs} ms`);
    await using broker = await startBroker({ alsoOn: box.hostAddress });
    await using api = startStatsApi(undefined, box.hostAddress);
    await using replies = await subscribe(broker.port, [`pub/${TAIL}`, `state/${TAIL}`]);
    for (const [i, ipk] of ipks.entries()) await box.copyIn(ipk, `/tmp/ledge-r${i + 1}.ipk`);

    await t.step(
      "an image build (IPKG_INSTROOT) gets the private dirs and the service enabled",
      async () => {
        await box.sh(
          "mkdir -p /tmp/img/tmp/lock && ln -s tmp /tmp/img/var && cp -a /bin /etc /lib /sbin /usr /tmp/img/",
        );
        const out = await box.run(["opkg", "-o", "/tmp/img", "install", "/tmp/ledge-r1.ipk"]);
        assertEquals(out.code, 0, out.stdout + out.stderr);
        // opkg runs no script in an offline root: the image build runs each postinst with
        // IPKG_INSTROOT set (include/rootfs.mk), as here.
        await box.ok(["/bin/sh", "/tmp/img/usr/lib/opkg/info/ledge.postinst"], {
          env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", IPKG_INSTROOT: "/tmp/img" },
        });
        const img = (path: string) => `/tmp/img${path}`;
        assertEquals(
          await modes(
            box,
            ...[
              "/etc",
              "/etc/ledge",
              "/etc/ledge/state",
              "/etc/ledge/config.json",
              "/etc/config/ledge",
            ].map(img),
          ),
          [
            "755 root /tmp/img/etc",
            "700 root /tmp/img/etc/ledge",
            "700 root /tmp/img/etc/ledge/state",
            "600 root /tmp/img/etc/ledge/config.json",
            "644 root /tmp/img/etc/config/ledge",
          ].join("\n"),
        );
        assertEquals(await box.sh("readlink /tmp/img/etc/rc.d/S95ledge"), "../init.d/ledge\n");
        assertEquals((await instance(box)).command, [], "nothing started on the build host");
        await box.sh("rm -rf /tmp/img");
      },
    );

    let pid = 0;
    await t.step(
      "opkg install: accepted for aarch64_generic, no error, modes set, started",
      async () => {
        const out = await box.run(["opkg", "install", "/tmp/ledge-r1.ipk"]);
        assertEquals(out.code, 0, out.stdout + out.stderr);
        assertEquals(out.stderr, "", "nothing on stderr (no 'Command failed')");
        assertMatch(out.stdout, /Installing ledge \(0\.1\.0-r1\) to root/);
        assertEquals(
          await modes(
            box,
            "/",
            "/etc",
            "/usr",
            "/usr/lib/ledge",
            "/etc/ledge",
            "/etc/ledge/state",
            "/etc/ledge/config.json",
            "/etc/init.d/ledge",
            "/usr/bin/ledge",
          ),
          [
            "755 root /",
            "755 root /etc",
            "755 root /usr",
            "755 root /usr/lib/ledge",
            "700 root /etc/ledge",
            "700 root /etc/ledge/state",
            "600 root /etc/ledge/config.json",
            "755 root /etc/init.d/ledge",
            "755 root /usr/bin/ledge",
          ].join("\n"),
        );
        assertEquals(await box.sh("ls /etc/rc.d | grep ledge"), "K10ledge\nS95ledge\n");
        // The admin's files are theirs: no package owns them, so no upgrade replaces them.
        const owned = await box.read("/usr/lib/opkg/info/ledge.list");
        assert(
          owned.includes("/usr/bin/ledge") && !owned.includes("/etc/ledge/config.json"),
          owned,
        );
        pid = (await runningWhere(box, () => true, "the agent under procd")).pid!;
        await logged(box, pid, /INFO ledge agent started/, "the first start");
      },
    );

    await t.step(
      "uci commit ledge; reload_config right after install moves the agent",
      async () => {
        await box.put(
          CONFIG,
          JSON.stringify({
            mac: MAC,
            topic: "t",
            key: "k",
            mqtt_host: box.hostAddress,
            port: broker.port,
            health_url: box.hostAddress,
            health_port: broker.port,
            stats_url: api.url,
            desired: { confirm_s: 10, settle_s: 2 },
          }),
          0o600,
        );
        await box.sh(`uci set ledge.main.config=${CONFIG} && uci commit ledge && reload_config`);
        const moved = await runningWhere(
          box,
          (i) => i.command.includes(`--config=${CONFIG}`) && i.pid !== pid,
          "the agent restarted on the new config",
        );
        pid = moved.pid!;
        await logged(box, pid, /INFO mqtt connected to broker/, "the MQTT session");
      },
    );

    await t.step(
      "procd's environment does not reach the runtime; setsid is ledge's own",
      async () => {
        const environ = (await box.read(`/proc/${pid}/environ`)).split("\0").filter(Boolean).sort();
        assertEquals(environ, [
          "DENO_DIR=/var/run/ledge/deno",
          "DENO_NO_UPDATE_CHECK=1",
          "DENO_USR2_MEMORY_TRIM=1",
          "PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/ledge/bin",
        ]);
        assertEquals(await modes(box, "/var/run/ledge"), "700 root /var/run/ledge");
        const flags = (await box.read("/var/run/ledge/flags")).split("\n");
        assert(flags.some((f) => /^--allow-run=.*\bsetsid\b/.test(f)), flags.join("\n"));
        assertEquals(await box.sh("command -v setsid || echo none"), "none\n", "busybox has none");
      },
    );

    await t.step(
      "a local user can neither plant the runtime's code cache nor aim its flags file",
      async () => {
        const nobody = { uid: 65534 };
        const shadow = await box.read("/etc/shadow");
        // What took root before: a code cache where root's runtime would load it, and a link
        // root's launcher would write its flags through.
        await box.sh(
          "mkdir -p /tmp/ledge-runtime/deno && ln -s /etc/shadow /tmp/ledge-runtime/flags",
          nobody,
        );
        const denied = await box.run(["/bin/sh", "-c", "mkdir -p /var/run/ledge/deno/x"], nobody);
        assertMatch(denied.stderr, /Permission denied/);
        await box.ok(["/etc/init.d/ledge", "restart"]);
        pid = (await runningWhere(box, (i) => i.pid !== pid, "the restart")).pid!;
        await logged(box, pid, /INFO mqtt connected to broker/, "the restarted agent");
        assertEquals(await box.read("/etc/shadow"), shadow);
        assertEquals(await box.sh("ls -A /tmp/ledge-runtime/deno"), "", "nothing of root's there");
      },
    );

    await t.step("a job published with mosquitto_pub runs in the box's shell", async () => {
      const job = {
        id: "owrt-1",
        timestamp: Math.floor(Date.now() / 1000),
        meta: { msg: "echo from-box; uname -m", type: "command" },
      };
      await publish(broker.port, `sub/${TAIL}`, JSON.stringify(job));
      const line = await replies.waitFor(/"owrt-1".*"PROCESSED"|"PROCESSED".*"owrt-1"/, 120_000);
      const reply = JSON.parse(line.slice(line.indexOf(" ") + 1));
      assertEquals(reply.meta.msg, "from-box\naarch64\n");
    });

    await t.step("ctl status and a collection inside; a sample reaches the stats API", async () => {
      const status = (await ctl(box, "status"))["agent-status"];
      assertEquals(status.pid, pid === status.pid ? pid : status.pid);
      assertMatch(status.mqtt, /^connected to 10\.213\./);
      const sample = (await ctl(box, "collect")).collect;
      assert(sample.device.total_ram > 0, JSON.stringify(sample.device));
      await ctl(box, "flush");
      await until(() => api.accepted().length >= 1, "a sample at the stats API", 120_000);
    });

    await t.step("reload with the same config: SIGHUP, same pid", async () => {
      await box.ok(["/etc/init.d/ledge", "reload"]);
      await logged(box, pid, /INFO ledge config reloaded/, "the reload");
      assertEquals((await instance(box)).pid, pid);
    });

    await t.step("reload with a config that needs other permissions: a restart", async () => {
      const config = JSON.parse(await box.read(CONFIG));
      await box.put(CONFIG, JSON.stringify({ ...config, dhcp_leases: "/tmp/other.leases" }), 0o600);
      await box.ok(["/etc/init.d/ledge", "reload"]);
      pid = (await runningWhere(box, (i) => i.pid !== pid, "the restart")).pid!;
      // The new instance notes its flags once `ledge flags` has answered, then runs.
      await until(
        async () =>
          /--allow-read=.*\/tmp\/other\.leases/.test(await box.read("/var/run/ledge/flags")),
        "the restarted agent's flags",
        60_000,
      );
      await logged(box, pid, /INFO ledge agent started/, "the restarted agent");
    });

    await t.step("kill -9: procd respawns it", async () => {
      await box.ok(["kill", "-9", String(pid)]);
      pid = (await runningWhere(box, (i) => i.pid !== pid, "the respawn")).pid!;
      await logged(box, pid, /INFO ledge agent started/, "the respawned agent");
    });

    await t.step(
      "a desired state through the real uci: hostile values and a list, applied and rolled back",
      async () => {
        const hostile = `a b 'single' "double" back\\slash $HOME \`id\` ; # end`;
        await logged(box, pid, /INFO mqtt connected to broker/, "the session");
        const before = await box.sh("uci export system");
        await publish(
          broker.port,
          `config/${TAIL}`,
          JSON.stringify({
            version: 1,
            uci: { "system.@system[0].notes": hostile, "system.ntp.server": ["a.example", "b c"] },
          }),
          ["-r"],
        );
        const applied = await replies.waitFor(/"version":1,"status":"applied"/, 120_000);
        assertEquals(JSON.parse(applied.slice(applied.indexOf(" ") + 1)).reported, {
          uci: { "system.@system[0].notes": hostile, "system.ntp.server": ["a.example", "b c"] },
        });
        assertEquals(await box.sh("uci -q get system.@system[0].notes"), `${hostile}\n`);
        assertEquals(
          await box.sh("uci show system.ntp.server"),
          "system.ntp.server='a.example' 'b c'\n",
        );
        const rollback = (await ctl(box, "rollback")).rollback;
        assertEquals([rollback.version, rollback.status], [1, "rolled_back"]);
        assertEquals(await box.sh("uci export system"), before, "every option and list as it was");
      },
    );

    await t.step("logread: info as info, errors as errors", async () => {
      const good = await box.read(CONFIG);
      await box.put(CONFIG, "{ not json", 0o600);
      await box.run(["/usr/bin/ledge", "ctl", "reload"]);
      await box.put(CONFIG, good, 0o600);
      await logged(box, pid, /ERROR ledge reload refused/, "the refused reload");
      const lines = await agentLog(box, pid);
      assert(lines.some((l) => /daemon\.info ledge\[\d+\]: INFO /.test(l)), lines.join("\n"));
      assert(lines.some((l) => /daemon\.err ledge\[\d+\]: ERROR /.test(l)), lines.join("\n"));
      assertEquals(lines.filter((l) => /daemon\.err ledge\[\d+\]: INFO /.test(l)), []);
      assertEquals(lines.filter((l) => /daemon\.info ledge\[\d+\]: (WARN|ERROR) /.test(l)), []);
    });

    await t.step("sysupgrade -l lists the config, the UCI file and the state", async () => {
      const kept = (await box.ok(["/sbin/sysupgrade", "-l"])).split("\n");
      for (const file of [CONFIG, "/etc/ledge/config.json", "/etc/config/ledge"]) {
        assert(kept.includes(file), `${file} not kept:\n${kept.join("\n")}`);
      }
      assert(kept.some((f) => f.startsWith("/etc/ledge/state/")), kept.join("\n"));
    });

    await t.step(
      "an upgrade restarts it on the new package, the admin's files untouched",
      async () => {
        const config = await box.read(CONFIG);
        const out = await box.run(["opkg", "install", "/tmp/ledge-r2.ipk"]);
        assertEquals(out.code, 0, out.stdout + out.stderr);
        assertEquals(out.stderr, "");
        assertMatch(out.stdout, /Upgrading ledge on root from 0\.1\.0-r1 to 0\.1\.0-r2/);
        pid = (await runningWhere(box, (i) => i.pid !== pid, "the upgraded agent")).pid!;
        assertEquals(await box.read(CONFIG), config);
        assertEquals(await box.sh("uci get ledge.main.config"), `${CONFIG}\n`);
        assertEquals(await box.sh("ls /etc/ledge /etc/config | grep -c -- '-opkg' || true"), "0\n");
      },
    );

    await t.step("an upgrade keeps an admin's disable: not enabled, not started", async () => {
      await box.ok(["/etc/init.d/ledge", "disable"]);
      const out = await box.run(["opkg", "install", "/tmp/ledge-r3.ipk"]);
      assertEquals(out.code, 0, out.stdout + out.stderr);
      assertEquals(await box.sh("ls /etc/rc.d | grep -c ledge || true"), "0\n");
      assertEquals((await instance(box)).running, false);
    });

    await t.step("opkg remove: stopped, the config kept", async () => {
      await box.ok(["/etc/init.d/ledge", "enable"]);
      await box.ok(["/etc/init.d/ledge", "start"]);
      await runningWhere(box, () => true, "started again");
      const out = await box.run(["opkg", "remove", "ledge"]);
      assertEquals(out.code, 0, out.stdout + out.stderr);
      assertEquals(out.stderr, "");
      assertEquals((await instance(box)).running, false);
      // procd stops it with SIGTERM (SIGKILL 5 s later); the bracket keeps pgrep from finding
      // the shell that runs it.
      await until(
        async () => await box.sh("pgrep -f '/usr/lib/ledge/den[o]' || echo none") === "none\n",
        "the agent gone",
        30_000,
      );
      assertEquals(
        await box.sh(`ls ${CONFIG} /etc/ledge/config.json /etc/config/ledge`),
        `/etc/config/ledge\n${CONFIG}\n/etc/ledge/config.json\n`,
      );
      // opkg removes the package's files (its .list holds no directories).
      assertEquals(
        await box.sh(
          "find /usr/lib/ledge /usr/bin/ledge /etc/init.d/ledge ! -type d 2>/dev/null || true",
        ),
        "",
      );
    });
  },
});
