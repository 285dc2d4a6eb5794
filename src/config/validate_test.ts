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
    "jobs.allow",
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

Deno.test("values that reach a permission flag are refused when they could widen it or split the launcher's words", () => {
  const refused: [Record<string, unknown>, string][] = [
    // A desired state once set this, and /usr/bin/ledge handed --inspect to deno as root.
    [{ dhcp_leases: "/tmp/dhcp.leases --inspect=0.0.0.0:9229" }, "dhcp_leases"],
    [{ dhcp_leases: "/tmp/dhcp leases" }, "dhcp_leases"],
    [{ cache_dir: "/tmp/x,/" }, "cache_dir"],
    [{ state_dir: "relative/state" }, "state_dir"],
    [{ control_socket: "/run/a\nb.sock" }, "control_socket"],
    [{ jobs: { allow: ["/bin/echo", "/bin/a,/bin/sh"] } }, "jobs"],
    [{ mqtt_host: "broker.example,evil.example" }, "mqtt_host"],
    [{ stats_url: "https://stats.example,0.0.0.0/v1" }, "stats_url"],
    [{ recovery_cmd: "/sbin/x,/bin/sh restart" }, "recovery_cmd"],
    [{ reboot_cmd: "reboot\u2028now" }, "reboot_cmd"],
    [{ desired: { uci: "/sbin/uci --allow-all" } }, "desired"],
    [{ upgrade: { dir: "/tmp/a=b" } }, "upgrade"],
  ];
  for (const [keys, key] of refused) {
    const [error] = errors(keys);
    assert(error.split(":")[0].split(".")[0] === key, `${JSON.stringify(keys)}: ${error}`);
  }
  assertEquals(
    errors({ jobs: { allow: ["/bin/echo", "/bin/a,/bin/sh"] } })[0].split(";")[0],
    'jobs.allow.1: got "/bin/a,/bin/sh"',
    "the entry at fault is named",
  );
  const { config } = valid({
    mqtt_host: "::1",
    recovery_cmd: `/etc/init.d/network "restart now"`,
    reboot_cmd: "reboot",
    health_url: "https://probe.example/ping",
  });
  assertEquals([config.mqtt_host, config.reboot_cmd], ["::1", "reboot"]);
});

Deno.test("upgrade.hosts are compared as URLs name hosts: case, punycode, IPv6 brackets; a URL is refused", () => {
  const { config } = valid({
    upgrade: { hosts: ["Fw.Example.NET", "bücher.example", "::1", "[2001:db8::1]:8443", "h:8080"] },
  });
  assertEquals(config.upgrade.hosts, [
    "fw.example.net",
    "xn--bcher-kva.example",
    "[::1]",
    "[2001:db8::1]:8443",
    "h:8080",
  ]);
  assertEquals(
    errors({ upgrade: { hosts: ["fw.example", "https://fw.example.net/"] } })[0].split(";")[0],
    'upgrade.hosts.1: got "https://fw.example.net/"',
  );
});

Deno.test("desired.settle_s: half of confirm_s when that is below 10 s; never more than half", () => {
  assertEquals(valid({ desired: {} }).config.desired?.settle_s, 10);
  assertEquals(valid({ desired: { confirm_s: 12 } }).config.desired?.settle_s, 6);
  assertEquals(errors({ desired: { confirm_s: 12, settle_s: 7 } }), [
    "desired.settle_s: got 7; allowed: at most half of desired.confirm_s (12)",
  ]);
});

Deno.test("SocketMan configs: digits written as strings are numbers, one warning names the keys", () => {
  const { config, warnings } = valid({
    mqtt_host: "b",
    port: "1883",
    monitor: "20",
    rest: "1",
    qos: "1",
    reboot: "0",
    key: "123", // a string key keeps its string
  });
  assertEquals([config.port, config.monitor, config.rest, config.qos, config.reboot], [
    1883,
    20,
    true,
    1,
    0,
  ]);
  assertEquals(config.key, "123");
  assertEquals(warnings, [
    "port, monitor, rest, qos, reboot: a number written as a string, read as SocketMan read it",
  ]);
  // Only digits: anything else is still refused with the key named.
  assertEquals(errors({ port: "1883x" }), [
    'port: got "1883x"; allowed: an integer 1–65535',
  ]);
  assertEquals(errors({ port: "70000" }), ['port: got "70000"; allowed: an integer 1–65535']);
});

Deno.test("SocketMan configs: 0 is the default where SocketMan took it so, with a warning", () => {
  const { config, warnings } = valid({ "ping-interval": 0, health_port: "0", monitor: 0 });
  assertEquals(config["ping-interval"], DEFAULTS["ping-interval"]);
  assertEquals(config.health_port, DEFAULTS.health_port);
  assertEquals(config.monitor, DEFAULTS.monitor);
  assertEquals(warnings, [
    "ping-interval, health_port, monitor: 0 means the default, read as SocketMan read it",
  ]);
  // Where 0 has a meaning of its own, it keeps it.
  assertEquals(valid({ reboot: 0 }).config.reboot, 0);
  assertEquals(errors({ port: 0 }), ["port: got 0; allowed: an integer 1–65535"]);
});

Deno.test("MQTT: a password needs a user name; topic, key and mac are single topic levels", () => {
  assertEquals(errors({ password: "p" }), [
    "password: got a string; allowed: only with username (MQTT has no password alone)",
  ]);
  assert(valid({ username: "u", password: "p" }).ok);
  for (const key of ["topic", "key", "mac"]) {
    for (const bad of ["a/b", "+", "x#", "a\u0000b"]) {
      assertMatch(
        errors({ [key]: bad })[0],
        new RegExp(`^${key}: got .*; allowed: a non-empty string without '\\+', '#', '/' or NUL`),
      );
    }
  }
});
