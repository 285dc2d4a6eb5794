/** Jobs: their limits, their signatures, what may run. */
import * as z from "zod/mini";
import { key, objectOf } from "../field.ts";
import { FLAG, flag, int, intAllowed, PROGRAM, program } from "../values.ts";

const JOBS = {
  allow: key(z.array(program), `programs, each ${PROGRAM}`, {
    what: "jobs run without a shell, and only these programs",
    owners: ["jobs", "agent"],
  }),
};

/** The keys of this group, each described once (docs/config.md is made from them). */
export const JOBS_KEYS = {
  job_timeout: key(int(1, 86400), intAllowed(1, 86400, " (seconds)"), {
    what: "a job's time limit in seconds (a job's own `timeout` wins)",
    owners: ["jobs", "health"],
    default: 300,
  }),
  job_concurrency: key(int(1, 16), intAllowed(1, 16), {
    what: "jobs run at once",
    owners: ["jobs"],
    default: 2,
  }),
  job_queue: key(int(1, 10000), intAllowed(1, 10000), {
    what: "jobs waiting; beyond, `BUSY`",
    owners: ["jobs"],
    default: 32,
  }),
  job_output_max: key(
    int(1024, 16 * 1024 * 1024),
    intAllowed(1024, 16 * 1024 * 1024, " (bytes)"),
    {
      what: "the bytes of a job's output kept (its tail)",
      owners: ["jobs", "health"],
      default: 51200,
    },
  ),
  max_reply: key(int(512, 256 * 1024), intAllowed(512, 256 * 1024, " (bytes)"), {
    what: "the largest reply sent, as JSON: a longer output is cut to fit (a broker with a " +
      "packet limit drops the connection on a larger one)",
    owners: ["replies"],
    default: 65536,
  }),
  job_secret: key(z.string().check(z.minLength(16)), "a string of at least 16 characters", {
    what: "jobs (and desired states) must be signed with it (secret)",
    owners: ["jobs", "desired"],
  }),
  job_max_age: key(int(1), intAllowed(1, undefined, " (seconds)"), {
    what: "seconds a signed job's timestamp may be from the box's clock",
    owners: ["jobs"],
    default: 600,
  }),
  job_sig_legacy: key(flag, FLAG, {
    what: "also accept SocketMan-era signatures (`id\\ntimestamp\\ntype\\nmsg`, ambiguous)",
    owners: ["jobs"],
    default: false,
  }),
  jobs: key(objectOf(JOBS), `an object { "allow": [programs, each ${PROGRAM}] }`, {
    what: "how jobs run",
    owners: ["jobs", "agent"],
    default: {},
    sub: JOBS,
  }),
  network_check_s: key(int(1, 3600), intAllowed(1, 3600, " (seconds)"), {
    what: "seconds a `network` job's link may take to come back",
    owners: ["jobs", "agent"],
    default: 60,
  }),
};
