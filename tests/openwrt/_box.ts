/**
 * A booted OpenWRT userland: an unmodified OpenWRT root filesystem, run as a box runs it.
 * Its own user namespace (root inside is uid 100000 outside: nothing it does is root here),
 * mount namespace (a tmpfs /tmp, /var -> /tmp, a fresh /proc, /dev with a devpts), PID
 * namespace (it all dies with the namespace) and network namespace (loopback, and a veth
 * whose host end carries the broker and the APIs), with its aarch64 programs under
 * qemu-aarch64-static through the namespace's own binfmt_misc (kernel 6.7+). Booted as
 * OpenWRT boots: ubusd, `procd -S` (procd as the service manager, not PID 1), then every
 * /etc/rc.d/S* with `boot` but `network` (netifd under qemu-user waits forever on netlink).
 *
 * Nothing is stubbed: opkg, procd, ubus, uci, logd, rc.common, reload_config and sysupgrade
 * are the root's own. Needs root here (ip netns, the uid map); the root filesystem is test
 * data and is never committed: its path comes from LEDGE_OPENWRT_ROOTFS.
 */
import { linkedNamespace } from "../support/netns.ts";
import { until } from "../support/poll.ts";

/** Where the root filesystem's tarball is, when this machine has one. */
export const ROOTFS_VAR = "LEDGE_OPENWRT_ROOTFS";

/** Outside uid of the box's root: the namespace maps 0–65535 inside to this and up. */
const UID_BASE = 100_000;
const QEMU = "/usr/bin/qemu-aarch64-static";
/** ELF header of aarch64 executables, and its mask: what binfmt_misc matches. */
const AARCH64_MAGIC =
  "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
const AARCH64_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";
/** What an admin's login shell on the box has. */
const LOGIN_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", USER: "root" };
const decoder = new TextDecoder();

/** How a command on the box ended. */
export interface BoxOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of a command run on the box. */
export interface BoxCommand {
  /** Its environment instead of a login shell's. */
  env?: Record<string, string>;
  /** The uid (and gid) it runs as inside; default 0. */
  uid?: number;
  /** What it reads on stdin. */
  stdin?: string | Uint8Array | ReadableStream<Uint8Array>;
}

/** A booted box. */
export interface Box extends AsyncDisposable {
  /** The root filesystem, as this machine sees it. */
  readonly root: string;
  /** This machine's end of the box's link: where the broker and APIs listen for it. */
  readonly hostAddress: string;
  /** A command run on the box, to its end. */
  run(argv: string[], options?: BoxCommand): Promise<BoxOutput>;
  /** `run`, failing with its output unless it exits 0; its stdout. */
  ok(argv: string[], options?: BoxCommand): Promise<string>;
  /** A shell command line (busybox ash) run on the box; its stdout, failing unless 0. */
  sh(script: string, options?: BoxCommand): Promise<string>;
  /** Writes `content` to `path` on the box. */
  put(path: string, content: string | Uint8Array, mode?: number): Promise<void>;
  /** Copies this machine's file `from` to `path` on the box. */
  copyIn(from: string, path: string, mode?: number): Promise<void>;
  /** A file on the box, as text (its /tmp is the box's tmpfs, not the directory here). */
  read(path: string): Promise<string>;
  /** What the box's logd holds (`logread`). */
  logread(): Promise<string>;
  /** How long the boot took, ms. */
  readonly bootMs: number;
}

/** Why no box can be booted here, or undefined when one can. */
export async function boxUnavailable(): Promise<string | undefined> {
  const rootfs = Deno.env.get(ROOTFS_VAR);
  if (!rootfs) return `${ROOTFS_VAR} is not set (no OpenWRT root filesystem on this machine)`;
  if (!await Deno.stat(rootfs).then((s) => s.isFile, () => false)) {
    return `${ROOTFS_VAR}=${rootfs}: no such file`;
  }
  if (!await Deno.stat(QEMU).then(() => true, () => false)) return `${QEMU} is missing`;
  if (Deno.uid() !== 0) return "not root: the box needs ip netns and a uid map";
  return undefined;
}

/** Boots the root filesystem at $LEDGE_OPENWRT_ROOTFS in a directory of its own. */
export async function bootBox(): Promise<Box> {
  const started = performance.now();
  const rootfs = Deno.env.get(ROOTFS_VAR)!;
  await using stack = new AsyncDisposableStack();
  const dir = await Deno.makeTempDir({ prefix: "ledge-box-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const link = stack.use(await linkedNamespace());
  // Inside its own network namespace the box's daemons bind their usual ports (dnsmasq 53,
  // dropbear 22) as the namespace's root, who is nobody here.
  await host("ip", [
    "netns",
    "exec",
    link.ns,
    "sh",
    "-c",
    "echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start",
  ]);
  const holder = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      link.ns,
      "unshare",
      "--user",
      "--mount",
      "--pid",
      "--fork",
      "--propagation",
      "private",
      "sleep",
      "infinity",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const daemons: Deno.ChildProcess[] = [];
  stack.defer(async () => {
    // PID 1 of the namespace (the sleep) takes every process of the box with it.
    const init = await firstChild(holder.pid).catch(() => undefined);
    if (init) await host("kill", ["-KILL", String(init)]).catch(() => {});
    try {
      holder.kill("SIGKILL");
    } catch { /* gone */ }
    await Promise.all([holder.status, ...daemons.map((daemon) => daemon.status)]);
  });
  const init = await firstChild(holder.pid);
  // Deno opens another process's /proc files only with -A: the shell writes them.
  const map = `0 ${UID_BASE} 65536`;
  await host("sh", [
    "-c",
    `echo '${map}' > /proc/$0/uid_map && echo '${map}' > /proc/$0/gid_map`,
    String(holder.pid),
  ]);
  const root = `${dir}/root`;
  // The box's root (uid 100000 here) must reach its own files.
  await Deno.chmod(dir, 0o711);
  await Deno.mkdir(root);
  await Deno.chown(root, UID_BASE, UID_BASE);

  const enter = (argv: string[], options: BoxCommand = {}, chroot = true) => {
    // Root of the namespace enters and changes root; the user (if another) comes after.
    const user = `--userspec=${options.uid ?? 0}:${options.uid ?? 0}`;
    const env = Object.entries(options.env ?? LOGIN_ENV).map(([k, v]) => `${k}=${v}`);
    const inside = chroot ? ["chroot", user, root, "/usr/bin/env", "-i", ...env, ...argv] : argv;
    return new Deno.Command("nsenter", {
      args: ["--target", String(init), "--all", "--setuid", "0", "--setgid", "0", "--", ...inside],
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
  };
  const run = async (argv: string[], options: BoxCommand = {}, chroot = true) => {
    const child = enter(argv, options, chroot).spawn();
    const input = options.stdin;
    if (input instanceof ReadableStream) await input.pipeTo(child.stdin);
    else if (input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
      await writer.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  };
  const ok = async (argv: string[], options?: BoxCommand, chroot = true) => {
    const out = await run(argv, options, chroot);
    if (out.code !== 0) {
      throw new Error(`${argv.join(" ")}: exit ${out.code}\n${out.stdout}${out.stderr}`);
    }
    return out.stdout;
  };

  const write = async (path: string, stdin: BoxCommand["stdin"], mode: number) => {
    await ok(["/bin/sh", "-c", `cat > "$0" && chmod ${mode.toString(8)} "$0"`, path], { stdin });
  };

  // The root's own files, owners kept: extracted as the namespace's root.
  await ok(["tar", "-xpzf", rootfs, "-C", root], {}, false);
  await ok(["sh", "-c", mounts(root)], {}, false);
  // The daemons run as long as the namespace does; their output is drained, not kept.
  const daemon = (argv: string[]) => {
    const child = enter(argv, {}).spawn();
    daemons.push(child);
    void child.stdout.cancel();
    void child.stderr.cancel();
  };
  daemon(["/sbin/ubusd"]);
  await until(async () => (await run(["/bin/ubus", "list"])).code === 0, "ubusd", 60_000);
  daemon(["/sbin/procd", "-S"]);
  await until(
    async () => (await run(["/bin/ubus", "list", "service"])).code === 0,
    "procd's service object",
    60_000,
  );
  const scripts = [...Deno.readDirSync(`${root}/etc/rc.d`)].map((e) => e.name)
    .filter((name) => name.startsWith("S") && !name.endsWith("network")).sort();
  for (const script of scripts) await run([`/etc/rc.d/${script}`, "boot"]);

  const owned = stack.move();
  const box: Box = {
    root,
    hostAddress: link.hostAddress,
    bootMs: Math.round(performance.now() - started),
    run: (argv, options) => run(argv, options),
    ok: (argv, options) => ok(argv, options),
    sh: (script, options) => ok(["/bin/sh", "-c", script], options),
    put: (path, content, mode = 0o644) => write(path, content, mode),
    copyIn: async (from, path, mode = 0o644) => write(path, (await Deno.open(from)).readable, mode),
    read: (path) => ok(["/bin/cat", path]),
    logread: () => ok(["/sbin/logread"]),
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
  return box;
}

/** The mounts OpenWRT expects, and qemu registered for the namespace's aarch64 programs. */
function mounts(root: string): string {
  return [
    "set -e",
    `mount -t tmpfs -o mode=1777 tmpfs ${root}/tmp`,
    `mkdir -p ${root}/tmp/run ${root}/tmp/lock ${root}/tmp/state ${root}/tmp/log ${root}/tmp/shm`,
    `mount -t proc proc ${root}/proc`,
    `mount --rbind /sys ${root}/sys`,
    `mount -t tmpfs -o mode=755 tmpfs ${root}/dev`,
    `for n in null zero full random urandom tty; do touch ${root}/dev/$n; ` +
    `mount --bind /dev/$n ${root}/dev/$n; done`,
    `mkdir ${root}/dev/pts ${root}/dev/shm`,
    `mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts ${root}/dev/pts`,
    `ln -s pts/ptmx ${root}/dev/ptmx`,
    "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
    // P keeps argv[0] (busybox picks its applet by it), F opens qemu now, outside the root.
    `printf '%s' ':qemu-aarch64:M::${AARCH64_MAGIC}:${AARCH64_MASK}:${QEMU}:PF' ` +
    "> /proc/sys/fs/binfmt_misc/register",
  ].join("\n");
}

/** The first child of `pid` (unshare's fork: PID 1 of the box), read through cat (see above). */
async function firstChild(pid: number): Promise<number> {
  let child: number | undefined;
  await until(async () => {
    const out = await new Deno.Command("cat", {
      args: [`/proc/${pid}/task/${pid}/children`],
      stderr: "null",
    }).output();
    child = Number(decoder.decode(out.stdout).trim().split(" ")[0]) || undefined;
    return child !== undefined;
  }, `the box's PID 1 (child of ${pid})`);
  return child!;
}

async function host(command: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stdin: "null", stdout: "null" }).output();
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")}: ${decoder.decode(out.stderr).trim()}`);
  }
}
