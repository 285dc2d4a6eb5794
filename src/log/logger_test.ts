import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { LogCore, Logger, memoryLogger } from "./logger.ts";

Deno.test("text lines are LEVEL component message key=value", () => {
  const { log, lines } = memoryLogger();
  log.child("mqtt").info("connected", { host: "broker", port: 1883, note: "two words" });
  assertEquals(lines, ['INFO mqtt connected host=broker port=1883 note="two words"']);
});

Deno.test("levels below the current one are dropped, and the level can change at run time", () => {
  const { log, lines } = memoryLogger("warn");
  log.info("hidden");
  log.warn("shown");
  log.core.level = "debug";
  log.debug("now shown");
  assertEquals(lines, ["WARN test shown", "DEBUG test now shown"]);
});

Deno.test("secret fields are redacted by name, nested too", () => {
  const { log, lines } = memoryLogger();
  log.info("cfg", { password: "hunter22", token: "t0k3n", cfg: { key: "abcd", mac: "m" } });
  assertEquals(lines[0], 'INFO test cfg password=*** token=*** cfg={"key":"***","mac":"m"}');
});

Deno.test("known secret values are scrubbed from messages, URLs and errors", () => {
  const { log, lines } = memoryLogger();
  log.core.setSecrets(["s3cr3t-value", undefined, "x"]);
  log.error("fetch failed for http://api/x?access_token=abc&mac=1", {
    error: new Error("bad s3cr3t-value here"),
    url: "http://h/?mac=1&access_token=zzz",
  });
  const line = lines[0];
  assert(!line.includes("s3cr3t-value"), line);
  assert(!line.includes("abc&"), line);
  assert(!line.includes("zzz"), line);
  assertMatch(line, /access_token=\*\*\*&mac=1/);
});

Deno.test("json format writes one parseable object per line", () => {
  const lines: string[] = [];
  const log = new Logger(new LogCore((l) => lines.push(l), "json", "info"), "jobs");
  log.info("done", { id: "j1", token: "t" });
  const record = JSON.parse(lines[0]);
  assertEquals([record.level, record.component, record.message, record.id, record.token], [
    "info",
    "jobs",
    "done",
    "j1",
    "***",
  ]);
});

Deno.test("control characters from the network never reach a log line raw", () => {
  const { log, lines } = memoryLogger();
  // U+2028 and U+2029: a log viewer (and JavaScript before ES2019) breaks lines there.
  const hostile = "id\x1b[2J\x00\nFAKE INFO line\x9b\u2028FAKE WARN\u2029";
  log.warn(`job ${hostile}`, { id: hostile, output: `two words ${hostile}` });
  assertEquals(lines.length, 1);
  // deno-lint-ignore no-control-regex
  const raw = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
  assert(!raw.test(lines[0]), JSON.stringify(lines[0]));
  assertMatch(
    lines[0],
    /^WARN test job id\\x1b\[2J\\x00\\x0aFAKE INFO line\\x9b\\u2028FAKE WARN\\u2029 id="id\\u001b/,
  );
  const json: string[] = [];
  new Logger(new LogCore((l) => json.push(l), "json", "info"), "t").info(hostile, { id: hostile });
  assert(!raw.test(json[0]), json[0]);
  assertEquals(JSON.parse(json[0]).id, hostile, "JSON keeps the text, escaped");
});
