/**
 * `deno task bundle`: writes dist/ledge.js, one minified ES module with every npm dependency
 * inside (only `node:` built-ins stay external), and prints its size. The other delivery
 * scripts and the hardened-run tests build on `bundle()` and `presetFlags()`.
 */

export const ROOT = new URL("../", import.meta.url).pathname;
export const BUNDLE = `${ROOT}dist/ledge.js`;
/** By name, so that `--allow-run=deno` suffices (Deno.execPath() is a resolved path). */
export const DENO = "deno";

/** Bundles src/main.ts into `output` and returns its size in bytes. */
export async function bundle(output = BUNDLE): Promise<number> {
  await run(DENO, [
    "bundle",
    "--quiet",
    "--platform=deno",
    "--minify",
    `--output=${output}`,
    `${ROOT}src/main.ts`,
  ]);
  return (await Deno.stat(output)).size;
}

/**
 * The hardened preset for a config: exactly what `ledge check-config CONFIG
 * --print-permissions` prints, asked of the bundle itself.
 */
export async function presetFlags(config: string, script = BUNDLE): Promise<string[]> {
  const args = ["run", "--quiet", `--allow-read=${config}`, script, "check-config", config];
  const out = await run(DENO, [...args, "--print-permissions"]);
  return out.trim().split(/\s+/);
}

/** Runs a command to completion; its stdout, or an Error carrying its stderr. */
export async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdin: "null" }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")}: exit ${out.code}\n${text(out.stderr).trim()}`);
  }
  return text(out.stdout);
}

export function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

if (import.meta.main) {
  const size = await bundle();
  console.log(`dist/ledge.js: ${kilobytes(size)} (goal ≤ 600 KB)`);
}
