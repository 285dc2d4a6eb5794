import { assert, assertEquals } from "../../tests/support/assert.ts";
import { formatReply } from "./reply_format.ts";

Deno.test("a list of objects is an aligned table with every column", () => {
  const text = formatReply({
    status: "ok",
    code: 200,
    commands: [
      { command: "jobs", mandatory: [], optional: ["limit"] },
      { command: "job-info", mandatory: ["job-id"], optional: [], capability: "jobs" },
    ],
  }, false);
  assertEquals(text.split("\n"), [
    "command   mandatory  optional  capability",
    "jobs      -          limit     -",
    "job-info  job-id     -         jobs",
  ]);
});

Deno.test("an object is key: value lines, nested objects indented", () => {
  const text = formatReply({
    status: "ok",
    code: 200,
    "agent-status": { version: "0.1.0", uptime: 3, mqtt: { state: "up", since: null } },
  }, false);
  assertEquals(text.split("\n"), [
    "version: 0.1.0",
    "uptime:  3",
    "mqtt:",
    "  state: up",
    "  since: -",
  ]);
});

Deno.test("no payload prints the message or ok; colour only when asked", () => {
  assertEquals(formatReply({ status: "ok", code: 200 }, false), "ok");
  assertEquals(formatReply({ status: "ok", code: 200, message: "done" }, false), "done");
  assertEquals(formatReply({ status: "ok", code: 200, x: { a: 1 } }, true), "\x1b[36ma:\x1b[0m 1");
});

Deno.test("a job's output cannot drive the terminal: control characters are escaped", () => {
  const text = formatReply({
    status: "ok",
    code: 200,
    "job-info": { id: "j\x1b]0;owned\x07", output: "line\n\x1b[2Jclear\x9b" },
  }, false);
  // deno-lint-ignore no-control-regex
  assert(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(text), JSON.stringify(text));
  assertEquals(text.split("\n"), [
    "id:     j\\x1b]0;owned\\x07",
    "output: line\\x0a\\x1b[2Jclear\\x9b",
  ]);
});
