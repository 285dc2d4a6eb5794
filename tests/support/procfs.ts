/** Process facts, for tests that check what a job left behind. */

/**
 * Pids of the live (not zombie) processes whose process group is `pgid`. Through `ps`:
 * Deno reads nothing under /proc without --allow-all.
 */
export function liveProcessesInGroup(pgid: number): number[] {
  const { stdout } = new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,pgid=,stat="],
    stdin: "null",
    stderr: "null",
  }).outputSync();
  return new TextDecoder().decode(stdout).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid && Number(group) === pgid && !/^[ZX]/.test(stat))
    .map(([pid]) => Number(pid));
}
