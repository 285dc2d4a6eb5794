import { assertEquals } from "../../tests/support/assert.ts";
import type { ExecResult } from "../io/exec.ts";
import { deliveredReply, refusalReply, resultReply, toRestResult } from "./wire.ts";

const ctx = { app: "socketman", now: 1484484399_500 };
const run = (fields: Partial<ExecResult>): ExecResult => ({
  exitCode: 0,
  output: "up 3 days\n",
  stderr: "",
  truncated: false,
  timedOut: false,
  cancelled: false,
  durationMs: 12.4,
  ...fields,
});

Deno.test("deliveredReply is SocketMan's acknowledgement", () => {
  assertEquals(deliveredReply("job-42", ctx), {
    id: "job-42",
    app: "socketman",
    timestamp: 1484484399,
    event_type: "DELIVERED",
    meta: { delivered: true },
  });
});

Deno.test("resultReply has SocketMan's shape with our fields added", () => {
  assertEquals(resultReply({ id: "job-42", meta: { type: "command" } }, run({}), ctx), {
    id: "job-42",
    timestamp: 1484484399,
    app: "socketman",
    event_type: "PROCESSED",
    meta: { msg: "up 3 days\n", type: "command" },
    success: true,
    exit_code: 0,
    duration_ms: 12,
    truncated: false,
  });
});

Deno.test("resultReply: a program that ran and failed is PROCESSED, as SocketMan said", () => {
  const reply = resultReply(
    { id: "j", meta: {} },
    run({ exitCode: 3, output: "partial\n", stderr: "ls: /nonexistent: No such file\n" }),
    ctx,
  );
  assertEquals(reply.event_type, "PROCESSED");
  assertEquals(reply.meta, { msg: "partial\n", type: "" }, "stdout only in meta.msg");
  assertEquals([reply.success, reply.exit_code], [false, 3]);
  assertEquals(reply.stderr, "ls: /nonexistent: No such file\n");
});

Deno.test("resultReply names each outcome", () => {
  const type = (fields: Partial<ExecResult>) =>
    resultReply({ id: "j", meta: {} }, run(fields), ctx).event_type;
  assertEquals(type({ exitCode: 1 }), "PROCESSED");
  assertEquals(type({ exitCode: null }), "PROCESSED", "killed by a signal, but it ran");
  assertEquals(type({ exitCode: null, error: "NotFound: /bin/nope" }), "FAILED");
  assertEquals(type({ exitCode: null, timedOut: true }), "TIMEOUT");
  assertEquals(type({ exitCode: null, cancelled: true }), "CANCELLED");
});

Deno.test('resultReply: empty output is SocketMan\'s "DNE"; a start error is FAILED with why', () => {
  const reply = resultReply(
    { id: "j", meta: {} },
    run({ exitCode: null, output: "", error: "not found" }),
    ctx,
  );
  assertEquals(reply.meta, { msg: "DNE", type: "" });
  assertEquals([reply.event_type, reply.success, reply.exit_code, reply.error], [
    "FAILED",
    false,
    null,
    "not found",
  ]);
  assertEquals(resultReply({ id: "j", meta: {} }, run({ output: "" }), ctx).meta, {
    msg: "DNE",
    type: "",
  });
});

Deno.test("refusalReply carries the reason", () => {
  assertEquals(refusalReply("j", "REJECTED", ctx, "bad signature"), {
    id: "j",
    timestamp: 1484484399,
    app: "socketman",
    event_type: "REJECTED",
    meta: { msg: "bad signature" },
    reason: "bad signature",
  });
  assertEquals(refusalReply("j", "DUPLICATE", ctx).meta, { msg: "" });
});

Deno.test("toRestResult: success is exit 0, not PROCESSED", () => {
  const failed = resultReply({ id: "j", meta: {} }, run({ exitCode: 2 }), ctx);
  assertEquals(toRestResult(failed).success, false);
});

Deno.test("toRestResult is the REST body's fields", () => {
  assertEquals(toRestResult(resultReply({ id: "j", meta: {} }, run({}), ctx)), {
    id: "j",
    success: true,
    output: "up 3 days\n",
    event_type: "PROCESSED",
    exit_code: 0,
  });
  assertEquals(toRestResult(refusalReply("j", "BUSY", ctx, "queue full")), {
    id: "j",
    success: false,
    output: "queue full",
    event_type: "BUSY",
    exit_code: null,
  });
});
