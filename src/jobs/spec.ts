/** The `jobs` capability's spec: the journal in `state_dir`, and the programs jobs run. */
import type { CapabilitySpec } from "../capability.ts";
import { SETSID } from "../io/mod.ts";
import { needs } from "../permissions.ts";
import { JobsCapability, type JobsDeps } from "./capability.ts";

/** The `jobs` capability: the journal in `state_dir`, the programs jobs may run. */
export const jobsSpec: CapabilitySpec<JobsDeps, "jobs"> = {
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
  build: (ctx, deps) => new JobsCapability(ctx, deps),
};
