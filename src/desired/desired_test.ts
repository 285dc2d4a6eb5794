import { assert, assertEquals } from "../../tests/support/assert.ts";
import { seededRandom } from "../../tests/support/random.ts";
import { checkDesired, type Desired, parseDesired } from "./desired.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const RULES = { allowKeys: ["mqtt_host"], uciPackages: ["wireless", "network"] };
const FILE = { mac: "AA-BB", mqtt_host: "broker.example", monitor: 15 };

function desired(state: Partial<Desired>): Desired {
  return { version: 1, ledge: {}, uci: {}, ...state };
}

Deno.test("parseDesired: both parts optional; each refusal names the field", () => {
  const parsed = parseDesired(bytes({ version: 3 }));
  assert(parsed.ok);
  assertEquals(parsed.desired, { version: 3, ledge: {}, uci: {} });
  const list = parseDesired(
    bytes({ version: 1e15, uci: { "dhcp.lan.dns": ["1.1.1.1", "9.9.9.9"] } }),
  );
  assert(list.ok);
  assertEquals(list.desired.uci, { "dhcp.lan.dns": ["1.1.1.1", "9.9.9.9"] });
  const cases: [unknown, string][] = [
    [{ version: 0 }, "invalid version: must be an integer from 1 to 1000000000000000"],
    [{ version: 1.5 }, "invalid version: must be an integer from 1 to 1000000000000000"],
    // 2^53 - 1 would leave no integer above it: no later state could ever be applied.
    [
      { version: 9007199254740991 },
      "invalid version: must be an integer from 1 to 1000000000000000",
    ],
    [
      { version: 2, uci: { "a.b.c": 36 } },
      "invalid uci.a.b.c: must be a string, a list of strings, or null to delete the option",
    ],
    [
      { version: 2, uci: { "a.b.c": ["x", 1] } },
      "invalid uci.a.b.c: must be a string, a list of strings, or null to delete the option",
    ],
    [{ version: 2, uci: { "a.b.c": "x\ny" } }, "invalid uci.a.b.c: must be one line"],
    [{ version: 2, ledge: [] }, "invalid ledge: must be an object of config keys"],
    [[1], "payload is not a JSON object"],
    [
      { version: 2, ledge: { a: JSON.parse("[".repeat(20_000) + "]".repeat(20_000)) } },
      "payload nested deeper than 16 levels",
    ],
  ];
  for (const [value, reason] of cases) {
    const result = parseDesired(bytes(value));
    assertEquals(result.ok ? "" : result.reason, reason, JSON.stringify(value));
  }
  const versioned = parseDesired(bytes({ version: 7, uci: [] }));
  assertEquals(versioned.ok ? undefined : versioned.version, 7, "the report can name the version");
  assertEquals(parseDesired(new Uint8Array([0xff, 0xfe])).ok, false);
});

Deno.test("checkDesired: program keys never, moving keys when allowed, a valid config, allowed packages", () => {
  const ok = checkDesired(
    desired({ ledge: { monitor: 30, mqtt_host: "b2.example", scan: null } }),
    RULES,
    { ...FILE, scan: 1 },
  );
  assertEquals(ok, { file: { mac: "AA-BB", mqtt_host: "b2.example", monitor: 30 } });
  const refusals: [Partial<Desired>, string][] = [
    [
      { ledge: { boot_cmd: "x" } },
      "ledge.boot_cmd: decides what runs; only the config file on the box sets it",
    ],
    [
      { ledge: { jobs: {} } },
      "ledge.jobs: decides what runs; only the config file on the box sets it",
    ],
    [{ ledge: { port: 1 } }, "ledge.port: not in desired.allow_keys of the config file on the box"],
    [
      { ledge: { state_dir: "/tmp" } },
      "ledge.state_dir: holds the desired state's own journal; never set so",
    ],
    [{ ledge: { nonsense: 1 } }, "ledge.nonsense: not a config key"],
    [
      { ledge: { monitor: -1 } },
      "ledge.monitor: got -1; allowed: an integer ≥ 1 (seconds; below 15 is raised to 15)",
    ],
    [
      { uci: { "system.@system[0].hostname": "x" } },
      "uci.system.@system[0].hostname: package system is not in desired.uci_packages (wireless, network)",
    ],
    [{ uci: { "wireless.radio0": "x" } }, "uci.wireless.radio0: not a package.section.option path"],
    // dnsmasq runs its dhcpscript as root at every lease: a program key in UCI clothes.
    [
      { uci: { "network.@dnsmasq[0].dhcpscript": "/tmp/x" } },
      "uci.network.@dnsmasq[0].dhcpscript: names a program or file a service runs; never set so",
    ],
  ];
  for (const [state, reason] of refusals) {
    assertEquals(checkDesired(desired(state), RULES, FILE), { reason }, JSON.stringify(state));
  }
});

Deno.test("fuzz: 20 000 mangled desired states are parsed or refused, never thrown", () => {
  const random = seededRandom(18);
  const seed = new TextEncoder().encode(
    JSON.stringify({
      version: 4,
      ledge: { monitor: 30 },
      uci: { "wireless.radio0.channel": "36" },
    }),
  );
  for (let i = 0; i < 20_000; i++) {
    const input = seed.slice();
    for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
      input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
    }
    const parsed = parseDesired(input);
    if (parsed.ok) checkDesired(parsed.desired, RULES, FILE);
  }
});

Deno.test("checkDesired: a key whose change changes the agent's permissions needs allow_keys", () => {
  // Stands in for the agent's preset: the files it may read.
  const rules = {
    ...RULES,
    presetOf: (file: Record<string, unknown>) => `--allow-read=${file.dhcp_leases}`,
  };
  assertEquals(checkDesired(desired({ ledge: { dhcp_leases: "/etc/shadow" } }), rules, FILE), {
    reason: "ledge.dhcp_leases: changes the agent's permissions (ledge flags); only with " +
      "desired.allow_keys of the config file on the box",
  });
  const allowed = { ...rules, allowKeys: [...rules.allowKeys, "dhcp_leases"] };
  assert("file" in checkDesired(desired({ ledge: { dhcp_leases: "/tmp/l" } }), allowed, FILE));
  assert("file" in checkDesired(desired({ ledge: { monitor: 60 } }), rules, FILE));
});
