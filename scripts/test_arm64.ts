/**
 * `deno task test:arm64`: the bundle under the arm64 Deno runtime, through qemu user-mode
 * emulation. Installs what is missing (qemu-user-static and libc6:arm64 from Debian, the
 * arm64 deno from npm into .cache/arm64/), bundles, then runs `version`, `check-config`
 * and the hardened run of tests/support/hardened_run.ts (start under the preset, ctl status,
 * a job, stats, clean stop).
 * Prints each step with its time and a last line `N passed, N failed`; exits 1
 * on any failure, including an install that cannot be done.
 */
import { BUNDLE, bundle, presetFlags, ROOT, run } from "./bundle.ts";
import { hardenedRun, type StepRunner } from "../tests/support/hardened_run.ts";
import { assertEquals, assertMatch } from "../tests/support/assert.ts";

const QEMU = "/usr/bin/qemu-aarch64-static";
const ARM64_LOADER = "/lib/ld-linux-aarch64.so.1";
const DENO_VERSION = Deno.version.deno;
const ARM64_DENO = `${ROOT}.cache/arm64/deno-${DENO_VERSION}/deno`;

class InstallError extends Error {}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

async function install(what: string, command: string, args: string[]): Promise<void> {
  console.log(`installing ${what}`);
  try {
    await run(command, args);
  } catch (error) {
    const reason = (error as Error).message.split("\n").filter(Boolean).pop();
    throw new InstallError(`cannot install ${what}: ${reason}`);
  }
}

const aptInstall = (...packages: string[]) =>
  install(packages.join(" "), "apt-get", ["install", "-y", "-qq", ...packages]);

async function ensureTools(): Promise<void> {
  const apt: string[] = [];
  if (!await exists(QEMU)) apt.push("qemu-user-static");
  if (!await exists("/usr/sbin/mosquitto")) apt.push("mosquitto");
  if (!await exists("/usr/bin/mosquitto_pub")) apt.push("mosquitto-clients");
  const needsLibc = !await exists(ARM64_LOADER);
  if (needsLibc) {
    await install("the arm64 architecture", "dpkg", ["--add-architecture", "arm64"]);
    apt.push("libc6:arm64");
  }
  if (apt.length > 0) {
    await install("the apt package lists", "apt-get", ["update", "-qq"]);
    await aptInstall(...apt);
  }
  if (!await exists(ARM64_DENO)) {
    const dir = ARM64_DENO.slice(0, ARM64_DENO.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const pkg = `@deno/linux-arm64-glibc@${DENO_VERSION}`;
    await install(pkg, "npm", ["pack", "--silent", pkg, `--pack-destination=${dir}`]);
    const tarball = `${dir}/deno-linux-arm64-glibc-${DENO_VERSION}.tgz`;
    await install(`${pkg} (unpack)`, "tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
    await Deno.remove(tarball);
  }
}

/** Runs the bundle under the arm64 deno to completion. */
function arm64(args: string[]): Promise<string> {
  return run(QEMU, [ARM64_DENO, "run", "--quiet", ...args]);
}

async function main(): Promise<number> {
  try {
    await ensureTools();
  } catch (error) {
    if (!(error instanceof InstallError)) throw error;
    console.error(`test:arm64: ${error.message}`);
    return 1;
  }
  const counts = { passed: 0, failed: 0 };
  const step: StepRunner = async (name, check) => {
    const started = performance.now();
    try {
      await check();
      counts.passed++;
      console.log(`ok   ${name} (${Math.round(performance.now() - started)} ms)`);
    } catch (error) {
      counts.failed++;
      console.log(`FAIL ${name}: ${error instanceof Error ? error.message : error}`);
    }
  };

  await step("bundle", async () => void await bundle());
  await step("version (cold start under qemu)", async () => {
    assertMatch(await arm64([BUNDLE, "version"]), /\(deno [\d.]+, .*aarch64-unknown-linux-gnu\)/);
  });
  await step("check-config --print-permissions agrees with x86_64", async () => {
    const config = `${ROOT}tests/fixtures/config/socketman.json`;
    const args = [`--allow-read=${config}`, BUNDLE, "check-config", config, "--print-permissions"];
    assertEquals((await arm64(args)).trim().split(/\s+/), await presetFlags(config));
  });
  await hardenedRun({ script: BUNDLE, runtime: [QEMU, ARM64_DENO] }, step);
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  return counts.failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
