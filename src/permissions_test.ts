import { assertEquals } from "../tests/support/assert.ts";
import { testConfig } from "../tests/support/context.ts";
import { agentNeeds, presetFor } from "./agent/mod.ts";
import { jobsSpec } from "./jobs/spec.ts";
import { flagFor, missingPermissions, needs, permissionFlags } from "./permissions.ts";

const run = { configPath: "/etc/ledge/config.json", controlSocket: null };

function jobsNeeds(extra: Record<string, unknown>) {
  const config = testConfig({ mac: "AA", disable_mqtt: true, state_dir: "/var/ledge", ...extra });
  return jobsSpec.needs(config, run);
}

Deno.test("jobs in shell mode need /bin/sh (setsid to start it fast) and the state_dir", () => {
  const needs = jobsNeeds({});
  assertEquals(needs.flags.run, ["setsid", "/bin/sh"]);
  assertEquals([needs.flags.read, needs.flags.write], [["/var/ledge"], ["/var/ledge"]]);
  assertEquals(needs.gate?.run, ["/bin/sh"]);
});

Deno.test("jobs with an allow-list run only its programs, /bin/sh only to signal groups", () => {
  const needs = jobsNeeds({ jobs: { allow: ["/bin/echo", "/sbin/ip"] } });
  assertEquals(needs.flags.run, ["/bin/echo", "/sbin/ip", "/bin/sh"]);
  assertEquals(needs.gate?.run, ["/bin/echo", "/sbin/ip"]);
});

Deno.test("-b adds the init server's host and write access to the config and its temp file", () => {
  const config = testConfig({ mac: "AA" });
  const provision = agentNeeds(config, { ...run, initUrl: "https://init.example/v1" }).provision;
  assertEquals(provision.flags.net, ["init.example:443"]);
  const files = ["/etc/ledge/config.json", "/etc/ledge/config.json.tmp"];
  assertEquals(provision.flags.write, files);
  assertEquals(provision.flags.read.slice(0, 2), files, "Deno's rename reads both");
});

Deno.test("recovery_cmd and reboot_cmd grant exactly their programs, parsed without a shell", () => {
  const config = testConfig({
    mac: "AA",
    scan: 0,
    recovery_cmd: `"/usr/sbin/my-recover" "--now please"`,
    reboot_cmd: "/sbin/reboot -f",
  });
  const flags = permissionFlags(presetFor(config, run));
  const runFlag = flags.find((f) => f.startsWith("--allow-run="))!;
  assertEquals(runFlag.split("=")[1].split(",").filter((p) => p !== "cat" && p !== "grep"), [
    "/usr/sbin/my-recover",
    "/sbin/reboot",
    "setsid",
    "/bin/sh",
  ]);
});

Deno.test("insecure: the API hosts, and only they, skip certificate checks", () => {
  const config = testConfig({
    mac: "AA",
    insecure: 1,
    stats_url: "https://stats.example:8443/s",
    boot_url: "https://boot.example/b",
    mqtt_host: "broker.example",
  });
  const flags = permissionFlags(presetFor(config, run));
  assertEquals(
    flags.find((f) => f.startsWith("--unsafely")),
    "--unsafely-ignore-certificate-errors=stats.example,boot.example",
  );
});

Deno.test("missingPermissions names the flags a gate lacks", () => {
  const gate = { flags: needs({ read: ["/a", "/b"], run: ["x"] }) };
  const allowed = (d: Deno.PermissionDescriptor) => d.name === "read" && d.path === "/a";
  assertEquals(missingPermissions(gate, allowed), ["--allow-read=/b", "--allow-run=x"]);
});

Deno.test("flagFor reads the flag out of Deno's permission error", () => {
  const error = new Deno.errors.NotCapable(
    'Requires read access to "/etc/x.json", run again with the --allow-read flag',
  );
  assertEquals(flagFor(error), "--allow-read=/etc/x.json");
  assertEquals(flagFor(new Error("other")), undefined);
});
