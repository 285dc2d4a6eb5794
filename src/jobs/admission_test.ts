import { assertEquals } from "../../tests/support/assert.ts";
import { type AdmissionState, decide } from "./admission.ts";
import type { Job } from "./job.ts";
import type { JobType } from "./job_type.ts";

const pooled = (admit: JobType["admit"]): JobType => ({
  type: "command",
  pooled: true,
  admit,
  run: () => Promise.resolve("unjournaled"),
});
const own: JobType = {
  type: "sysupgrade",
  pooled: false,
  admit: () => ({ ok: true, value: "plan" }),
  start: () => {},
};
const runs = pooled(() => ({ ok: true, value: ["/bin/true"] }));
const job = (extra: Partial<Job> = {}): Job => ({ id: "j1", meta: { msg: "true" }, ...extra });
const state = (extra: Partial<AdmissionState> = {}): AdmissionState => ({
  stopping: false,
  now: 10_000,
  journal: new Set(["seen"]),
  poolRoom: true,
  ...extra,
});
const decision = (j: Job, type: JobType, s: AdmissionState) => {
  const d = decide(j, j as never, type, s);
  return d.ok ? ["run", d.plan] : [d.refusal, d.reason];
};

Deno.test("admission: each refusal, in the order that decides between them", () => {
  const cases: [string, Job, JobType, AdmissionState, unknown[]][] = [
    ["runs", job(), runs, state(), ["run", ["/bin/true"]]],
    [
      "stopping wins over all",
      job({ id: "seen", expires: 1 }),
      runs,
      state({
        stopping: true,
        badSignature: "bad signature",
      }),
      ["BUSY", "stopping"],
    ],
    [
      "a bad signature before its expiry is believed",
      job({ expires: 1 }),
      runs,
      state({
        badSignature: "bad signature",
      }),
      ["REJECTED", "bad signature"],
    ],
    ["expired", job({ expires: 9 }), runs, state(), ["EXPIRED", "expired"]],
    ["not expired at its second", job({ expires: 10 }), runs, state(), ["run", ["/bin/true"]]],
    ["not started", job(), runs, state({ journal: undefined }), ["BUSY", "not started"]],
    [
      "duplicate before its type looks",
      job({ id: "seen" }),
      pooled(() => {
        throw new Error("must not be asked");
      }),
      state(),
      ["DUPLICATE", undefined],
    ],
    [
      "the type refuses",
      job(),
      pooled(() => ({ ok: false, reason: "program not allowed: rm" })),
      state(),
      [
        "REJECTED",
        "program not allowed: rm",
      ],
    ],
    [
      "a refused job is not BUSY",
      job(),
      pooled(() => ({ ok: false, reason: "no" })),
      state({
        poolRoom: false,
      }),
      ["REJECTED", "no"],
    ],
    ["a full pool is BUSY last", job(), runs, state({ poolRoom: false }), ["BUSY", "queue full"]],
    ["a type outside the pool runs with a full pool", job(), own, state({ poolRoom: false }), [
      "run",
      "plan",
    ]],
  ];
  for (const [name, j, type, s, expected] of cases) {
    assertEquals(decision(j, type, s), expected, name);
  }
});
