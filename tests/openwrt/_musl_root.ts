/**
 * A musl-only root laid out like stock OpenWRT's userland (Debian's musl and static
 * busybox: /lib/libc.so, /lib/ld-musl-<arch>.so.1 -> libc.so, /var -> /tmp, no glibc, no
 * nsswitch.conf, no ld.so.cache), a package installed in it the way opkg does it, and
 * programs run inside it: a private user and mount namespace, /proc, /sys and /dev bound
 * in, chroot, and the environment procd gives a service (`procdEnv`). An aarch64 root runs under
 * qemu-aarch64-static, registered in the namespace's own binfmt_misc (kernel 6.7+), so
 * the host's is left untouched.
 */
import { debianTree, type Target } from "../../scripts/package/stage.ts";
import { run } from "../../scripts/bundle.ts";
import { type CheckedPackage, checkPackage } from "../../scripts/package/apk/check.ts";
import { readAdb } from "../../scripts/package/apk/read.ts";

const QEMU = "/usr/bin/qemu-aarch64-static";
/** ELF header of aarch64 executables, and its mask: what binfmt_misc matches. */
const AARCH64_MAGIC =
  "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
const AARCH64_MASK =
  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

export interface MuslRoot {
  target: Target;
  path: string;
}

const MUSL = { x86_64: "x86_64-linux-musl", aarch64: "aarch64-linux-musl" };

/** A fresh musl root at `path` for `target`. */
export async function muslRoot(target: Target, path: string): Promise<MuslRoot> {
  const tree = await debianTree(target, ["musl", "busybox-static"]);
  for (
    const dir of [
      "bin",
      "sbin",
      "lib",
      "usr/bin",
      "usr/sbin",
      "etc",
      "tmp/run",
      "proc",
      "sys",
      "dev",
      "root",
    ]
  ) {
    await Deno.mkdir(`${path}/${dir}`, { recursive: true });
  }
  await Deno.chmod(`${path}/tmp`, 0o1777);
  await Deno.copyFile(`${tree}/bin/busybox`, `${path}/bin/busybox`);
  await Deno.chmod(`${path}/bin/busybox`, 0o755);
  await Deno.copyFile(`${tree}/lib/${MUSL[target.arch]}/libc.so`, `${path}/lib/libc.so`);
  // procd preloads OpenWRT's libsetlbf.so (a musl object) into every service that logs its
  // output. Musl's libc stands in for it here: preloaded into glibc's deno, either breaks it.
  await Deno.copyFile(`${path}/lib/libc.so`, `${path}/lib/libsetlbf.so`);
  await Deno.symlink("libc.so", `${path}/lib/ld-musl-${target.arch}.so.1`);
  await Deno.symlink("tmp", `${path}/var`);
  await Deno.writeTextFile(`${path}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.writeTextFile(`${path}/etc/group`, "root:x:0:\n");
  await Deno.writeTextFile(`${path}/etc/openwrt_version`, "OpenWrt musl test root\n");
  const root = { target, path };
  const installed = await inRoot(root, ["/bin/busybox", "--install", "-s", "/bin"]).output();
  if (!installed.success) throw new Error(new TextDecoder().decode(installed.stderr));
  return root;
}

/** Installs an .ipk the way opkg does: its data at /, then its postinst under busybox ash. */
export async function installIpk(root: MuslRoot, ipk: string, work: string): Promise<void> {
  await Deno.mkdir(`${work}/control`, { recursive: true });
  await run("tar", ["-xzf", ipk, "-C", work]);
  await run("tar", ["-xzf", `${work}/data.tar.gz`, "-C", root.path]);
  await run("tar", ["-xzf", `${work}/control.tar.gz`, "-C", `${work}/control`]);
  await Deno.copyFile(`${work}/control/postinst`, `${root.path}/tmp/postinst`);
  const out = await inRoot(root, ["/bin/sh", "/tmp/postinst"]).output();
  if (!out.success) throw new Error(`postinst: ${new TextDecoder().decode(out.stderr)}`);
  await Deno.remove(`${root.path}/tmp/postinst`);
}

/**
 * Installs an .apk the way apk does (openwrt-apk.md §1.5, §2(b)), with ledge's own reader:
 * the package is checked, each directory and file made with the mode its entry gives, the
 * links made, file mtimes set, then its post-install executed by its `#!` line with apk's
 * environment (APK_SCRIPT, APK_PACKAGE). Returns the scripts, for the caller to run others.
 */
export async function installApk(root: MuslRoot, apk: string): Promise<CheckedPackage> {
  const bytes = await Deno.readFile(apk);
  const checked = await checkPackage(bytes);
  const contents = (await readAdb(bytes)).data.map((d) => d.content);
  for (const entry of checked.entries) {
    const path = `${root.path}${entry.path}`;
    if (entry.kind === "dir") {
      await Deno.mkdir(path, { recursive: true });
      await Deno.chmod(path, entry.mode);
    } else if (entry.kind === "symlink") {
      await Deno.remove(path).catch(() => {});
      await Deno.symlink(entry.target!, path);
    } else {
      await Deno.writeFile(path, entry.size ? contents.shift()! : new Uint8Array());
      await Deno.chmod(path, entry.mode);
      if (entry.mtime !== undefined) await Deno.utime(path, entry.mtime, entry.mtime);
    }
  }
  await runApkScript(root, checked, "post-install");
  return checked;
}

/** Runs one of a package's scripts inside the root as apk does: executed, not sourced. */
export async function runApkScript(
  root: MuslRoot,
  checked: CheckedPackage,
  name: keyof CheckedPackage["scripts"],
): Promise<void> {
  const script = checked.scripts[name];
  if (!script) return;
  await Deno.writeTextFile(`${root.path}/tmp/${name}`, script, { mode: 0o755 });
  const out = await inRoot(root, [`/tmp/${name}`, String(checked.info.version)], {
    APK_SCRIPT: name,
    APK_PACKAGE: String(checked.info.name),
  }).output();
  await Deno.remove(`${root.path}/tmp/${name}`);
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
}

/** Files of glibc (by name) anywhere in the root but /usr/lib/ledge. */
export async function strayGlibc(root: MuslRoot): Promise<string[]> {
  const found: string[] = [];
  const glibc = /^(ld-linux.*\.so\.\d|lib(c|m|dl|pthread|rt|gcc_s)\.so\.\d+)$/;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (["proc", "sys", "dev"].includes(path.slice(root.path.length + 1))) continue;
      if (entry.isDirectory) await walk(path);
      else if (glibc.test(entry.name) && !path.startsWith(`${root.path}/usr/lib/ledge/`)) {
        found.push(path.slice(root.path.length));
      }
    }
  };
  await walk(root.path);
  return found;
}

/**
 * What procd gives a service whose output it logs: PID 1's environment (the kernel's HOME
 * and TERM, procd's PATH) and its line-buffering shim in LD_PRELOAD.
 */
export const PROCD_ENV = {
  HOME: "/",
  TERM: "linux",
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  LD_PRELOAD: "/lib/libsetlbf.so",
};

/**
 * A command that runs `argv` inside the root, in an empty environment (PATH only) and `env`.
 * Each call is its own namespace; the root's /tmp is on disk, so that one command reaches
 * the control socket of another.
 */
export function inRoot(
  root: MuslRoot,
  argv: string[],
  env: Record<string, string> = {},
): Deno.Command {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const r = quote(root.path);
  const binfmt = root.target.arch === "aarch64"
    ? [
      "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
      // P keeps argv[0] (busybox picks its applet by it), F opens qemu now, outside the chroot.
      `printf '%s' ':qemu-aarch64:M::${AARCH64_MAGIC}:${AARCH64_MASK}:${QEMU}:PF' > /proc/sys/fs/binfmt_misc/register`,
    ]
    : [];
  const environment = Object.entries({ PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env })
    .map(([k, v]) => quote(`${k}=${v}`)).join(" ");
  const script = [
    "set -e",
    ...binfmt,
    `mount --rbind /proc ${r}/proc`,
    `mount --rbind /sys ${r}/sys`,
    `mount --rbind /dev ${r}/dev`,
    `exec chroot ${r} /bin/busybox env -i ${environment} ${argv.map(quote).join(" ")}`,
  ].join("\n");
  return new Deno.Command("unshare", {
    args: [
      "--user",
      "--map-root-user",
      "--mount",
      "--propagation",
      "private",
      "/bin/sh",
      "-c",
      script,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
}
