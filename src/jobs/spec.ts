/** The `jobs` capability's spec: the journal in `state_dir`, and the programs jobs run. */
import type { CapabilitySpec } from "../capability.ts";
import { connectivityOf } from "../health/mod.ts";
import { SETSID } from "../io/mod.ts";
import { needs } from "../permissions.ts";
import { JobService } from "./service.ts";

/** The `jobs` capability: the journal in `state_dir`, the programs jobs may run. */
export const jobsSpec: CapabilitySpec<"jobs"> = {
  name: "jobs",
  restartOn: ["state_dir"],
  // /bin/sh also in allow-list mode: the shell's `kill` signals a job's process group
  // without an unrestricted --allow-run. setsid starts shell jobs in their own session
  // (faster than Deno's detached, see io/exec_deno.ts).
  needs: (config) => ({
    flags: needs({
      run: [...(config.jobs.allow ?? [SETSID]), "/bin/sh"],
      read: [config.state_dir],
      write: [config.state_dir],
    }),
    gate: {
      run: config.jobs.allow ?? ["/bin/sh"],
      read: [config.state_dir],
      write: [config.state_dir],
    },
  }),
  build: (ctx, peers) =>
    new JobService(ctx, {
      replies: {
        send: (kind, reply) => peers.get("replies")?.channel.send(kind, reply),
        flushed: () => peers.get("replies")?.channel.flushed(),
      },
      connectivity: connectivityOf(peers),
      upgrade: () => peers.get("upgrade"),
    }),
};
