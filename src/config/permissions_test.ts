import { assertEquals } from "../../tests/support/assert.ts";
import { capabilityNeeds } from "./permissions.ts";
import { validateConfig } from "./validate.ts";

const run = { configPath: "/etc/ledge/config.json", controlSocket: null };

function jobsNeeds(extra: Record<string, unknown>) {
  const result = validateConfig({
    mac: "AA",
    disable_mqtt: true,
    state_dir: "/var/ledge",
    ...extra,
  });
  if (!result.ok) throw new Error(result.errors.join());
  return capabilityNeeds(result.config, run).jobs;
}

Deno.test("jobs in shell mode need /bin/sh and the state_dir", () => {
  const needs = jobsNeeds({});
  assertEquals(needs.flags.run, ["/bin/sh"]);
  assertEquals([needs.flags.read, needs.flags.write], [["/var/ledge"], ["/var/ledge"]]);
  assertEquals(needs.gate?.run, ["/bin/sh"]);
});

Deno.test("jobs with an allow-list run only its programs, /bin/sh only for recovery and kill", () => {
  const needs = jobsNeeds({ jobs: { allow: ["/bin/echo", "/sbin/ip"] } });
  assertEquals(needs.flags.run, ["/bin/echo", "/sbin/ip", "/bin/sh"]);
  assertEquals(needs.gate?.run, ["/bin/echo", "/sbin/ip"]);
});

Deno.test("-b adds the init server's host and write access to the config file", () => {
  const result = validateConfig({ mac: "AA" });
  if (!result.ok) throw new Error(result.errors.join());
  const config = capabilityNeeds(result.config, { ...run, initUrl: "https://init.example/v1" })
    .config.flags;
  assertEquals(config.net, ["init.example:443"]);
  assertEquals(config.write, ["/etc/ledge/config.json"]);
});
