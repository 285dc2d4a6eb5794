/**
 * What the benches share to measure: medians, and a process's memory as `ps` and the
 * kernel report it (Deno grants another process's /proc only with -A).
 */
import { DENO, run } from "../scripts/bundle.ts";
import { tempDir, watchLines } from "../tests/support/process.ts";

/** Resident memory of a live process, in KB (Deno grants another's /proc only with -A). */
export async function rssKb(pid: number): Promise<number> {
  return Number((await run("ps", ["-o", "rss=", "-p", String(pid)])).trim());
}

export async function baselineRss(): Promise<number> {
  await using dir = await tempDir("ledge-footprint-");
  const script = `${dir.path}/idle.js`;
  await Deno.writeTextFile(
    script,
    'console.error("ready"); await Deno.stdin.read(new Uint8Array(1));',
  );
  const child = new Deno.Command(DENO, {
    args: ["run", "--quiet", script],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = watchLines(child.stderr);
  await stderr.waitFor(/^ready$/);
  const rss = await rssKb(child.pid);
  await child.stdin.close();
  await Promise.all([child.status, stderr.done]);
  return rss;
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
