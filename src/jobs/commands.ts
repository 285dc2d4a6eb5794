/** The jobs' control commands: `jobs`, `job-info`, `job-cancel`. */
import { type CommandRegistry, notFound, optional, required } from "../control/mod.ts";
import type { JobRecord } from "./history.ts";
import { jobIdSchema } from "./job.ts";
import * as z from "zod/mini";

/** What the commands ask of the jobs capability. */
export interface JobsView {
  list(limit?: number): JobRecord[];
  info(id: string): JobRecord | undefined;
  cancel(id: string): boolean;
}

/** A job id as a user types it: `job-info job-id 12345` sends the number 12345. */
const typedJobId = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((id) => String(id)),
).check(z.refine((id) => jobIdSchema.safeParse(id).success));

/** Registers the jobs' commands on `commands`, answering from `jobs`. */
export function registerJobCommands(commands: CommandRegistry, jobs: JobsView): void {
  const jobId = required(typedJobId, "the job's id (1 to 128 characters)");
  commands.register({
    name: "jobs",
    description: "recent jobs, newest first",
    capability: "jobs",
    args: { limit: optional(z.int().check(z.positive()), "how many (default all kept)") },
    run: ({ limit }) => jobs.list(limit),
  });
  commands.register({
    name: "job-info",
    description: "one job with its output",
    capability: "jobs",
    args: { "job-id": jobId },
    run: (args) => {
      const record = jobs.info(args["job-id"]);
      if (!record) throw notFound("job");
      return record;
    },
  });
  commands.register({
    name: "job-cancel",
    description: "cancel a queued or running job, or an upgrade before it flashes (CANCELLED)",
    capability: "jobs",
    args: { "job-id": jobId },
    run: (args) => {
      if (!jobs.cancel(args["job-id"])) throw notFound("running job");
      return { cancelled: args["job-id"] };
    },
  });
}
