import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { testConfig } from "../../tests/support/context.ts";
import { parseConfigText } from "./load.ts";
import { redactConfig, secretValues } from "./redact.ts";
import { uploadInterval, validateConfig } from "./validate.ts";
import { CONFIG_KEYS, DEFAULTS } from "./schema.ts";
import { closest } from "./closest.ts";

const SOCKETMAN = await Deno.readTextFile(
  new URL("../../tests/fixtures/config/socketman.json", import.meta.url),
);

function valid(raw: unknown) {
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(`expected valid, got ${result.errors.join("; ")}`);
  return result;
}
function errors(raw: unknown): string[] {
  const result = validateConfig(raw);
  if (result.ok) throw new Error("expected errors");
  return result.errors;
}

Deno.test("SocketMan's README config loads unchanged, every key kept", () => {
  const result = parseConfigText(SOCKETMAN);
  assert(result.ok);
  assertEquals(result.warnings, []);
  const raw = JSON.parse(SOCKETMAN);
  for (const [key, value] of Object.entries(raw)) {
    const expected = typeof value === "number" && ["scan", "survey", "tls"].includes(key)
      ? value === 1
      : value;
    assertEquals(result.config[key as keyof typeof result.config], expected, key);
  }
});

Deno.test("an empty config gets every default of the spec", () => {
  const { config } = valid({});
  for (const [key, value] of Object.entries(DEFAULTS)) {
    assertEquals(config[key as keyof typeof config], value, key);
  }
  assertEquals(config.port, 1883);
  assertEquals(config.heartbeat, 60);
});

Deno.test("port defaults to 8883 with tls and 1883 without; explicit port wins", () => {
  assertEquals(valid({ tls: true }).config.port, 8883);
  assertEquals(valid({ tls: 0 }).config.port, 1883);
  assertEquals(valid({ tls: 1, port: 8443 }).config.port, 8443);
});

Deno.test("0/1 are accepted as booleans, other numbers are not", () => {
  const { config } = valid({ scan: 0, survey: 1, "no-cache": 1, rest: true, debug: false });
  assertEquals([config.scan, config.survey, config["no-cache"], config.rest, config.debug], [
    false,
    true,
    true,
    true,
    false,
  ]);
  assertMatch(errors({ scan: 2 })[0], /^scan: got 2; allowed: true\/false or 0\/1$/);
});

Deno.test("monitor, ping-interval and reboot are clamped with a warning", () => {
  const { config, warnings } = valid({ monitor: 5, "ping-interval": 10, reboot: 100 });
  assertEquals([config.monitor, config["ping-interval"], config.reboot], [15, 30, 300]);
  assertEquals(warnings.length, 3);
  assertMatch(warnings.join("\n"), /monitor: 5 .* raised to 15/);
  assertEquals(valid({ reboot: 0 }).config.reboot, 0);
  assertEquals(valid({ reboot: 299 }).config.reboot, 300);
  assertEquals(valid({ reboot: 300 }).config.reboot, 300);
});

Deno.test("upload interval: heartbeat, else sleep; ≤ monitor doubles monitor; at most 300", () => {
  assertEquals(valid({ heartbeat: 120 }).config.heartbeat, 120);
  assertEquals(valid({ sleep: 90 }).config.heartbeat, 90);
  assertEquals(valid({ heartbeat: 45, sleep: 90 }).config.heartbeat, 45);
  assertEquals(valid({ monitor: 60, sleep: 60 }).config.heartbeat, 120);
  assertEquals(valid({ heartbeat: 1000 }).config.heartbeat, 300);
  assertEquals(uploadInterval(undefined, 200), 300);
});

Deno.test("every error names key, value and what is allowed, all at once", () => {
  const found = errors({ monitor: "x", port: 70000, qos: 3 });
  assertEquals(found, [
    'monitor: got "x"; allowed: an integer ≥ 1 (seconds; below 15 is raised to 15)',
    "port: got 70000; allowed: an integer 1–65535",
    "qos: got 3; allowed: 0, 1 or 2",
  ]);
});

Deno.test("range and type errors of the ledge keys", () => {
  const found = errors({
    job_concurrency: 17,
    upload_format: "zip",
    stats_url: "ftp://x",
    jobs: { allow: "sh" },
    job_secret: "short",
    cache_max: 10,
  });
  assertEquals(found.map((e) => e.split(":")[0]), [
    "job_concurrency",
    "upload_format",
    "stats_url",
    "jobs",
    "job_secret",
    "cache_max",
  ]);
});

Deno.test("secret values never appear in errors", () => {
  const found = errors({ password: 12345678, token: ["tok-secret"] });
  assertEquals(found, [
    "password: got a number; allowed: a string",
    "token: got an array; allowed: a string",
  ]);
});

Deno.test("unknown keys warn with the closest known key, and are not fatal", () => {
  const { warnings } = valid({ montor: 20, "ping_interval": 60, zzzzzzzzzz: 1 });
  assertEquals(warnings, [
    'unknown key "montor" ignored (did you mean "monitor"?)',
    'unknown key "ping_interval" ignored (did you mean "ping-interval"?)',
    'unknown key "zzzzzzzzzz" ignored',
  ]);
});

Deno.test("null means not set", () => {
  assertEquals(valid({ mqtt_host: null }).config.mqtt_host, undefined);
});

Deno.test("JSONC: comments and trailing commas allowed; syntax errors give a position", () => {
  assert(parseConfigText('{\n // broker\n "mqtt_host": "b", /* x */\n}').ok);
  const bad = parseConfigText('{\n "a": 1\n "b": 2 }');
  assert(!bad.ok);
  assertMatch(bad.errors[0], /^invalid JSON at line 3 column 2: CommaExpected$/);
  const notObject = parseConfigText("[1]");
  assert(!notObject.ok);
  assertEquals(notObject.errors, ["the config must be a JSON object"]);
});

Deno.test("redaction shows set secrets as *** and leaves unset ones absent", () => {
  const { config } = valid(JSON.parse(SOCKETMAN));
  const shown = redactConfig({ ...config, job_secret: "0123456789abcdef" });
  assertEquals([shown.password, shown.key, shown.token, shown.job_secret], [
    "***",
    "***",
    "***",
    "***",
  ]);
  assertEquals(shown.username, "hXwYkJrhgt");
  assert(!("job_secret" in redactConfig(config)));
  assert(!JSON.stringify(shown).includes("ZaXMATRyQn"));
});

Deno.test("closest suggests only near keys", () => {
  assertEquals(closest("heartbaet", CONFIG_KEYS), "heartbeat");
  assertEquals(closest("nocache", CONFIG_KEYS), "no-cache");
  assertEquals(closest("completely_different", CONFIG_KEYS), undefined);
});

Deno.test("shown configs hide URL passwords and access_token values; secrets say only their kind", () => {
  const config = testConfig({
    api_url: "https://ops:hunter22@api.example/v1?access_token=tok-en-1&x=1",
    stats_url: "https://api.example/s?access_token=tok-en-2",
  });
  const shown = JSON.stringify(redactConfig(config));
  for (const secret of ["hunter22", "tok-en-1", "tok-en-2"]) assert(!shown.includes(secret), shown);
  assertMatch(shown, /ops:\*\*\*@api\.example\/v1\?access_token=\*\*\*&x=1/);
  assert(secretValues(config).includes("hunter22"), "the log scrubs the URL password too");
  const bad = validateConfig({ password: { nested: true }, token: [1] });
  assert(!bad.ok);
  assertEquals(bad.errors, [
    "password: got an object; allowed: a string",
    "token: got an array; allowed: a string",
  ]);
});
