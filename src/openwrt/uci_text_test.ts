import { assertEquals } from "../../tests/support/assert.ts";
import { findSection, parseUciExport } from "./uci_text.ts";

// What OpenWRT 19.07's `uci export dhcp` printed after `uci add_list` of both values.
const DHCP = `package dhcp

config dnsmasq
	option domainneeded '1'
	option leasefile '/tmp/dhcp.leases'

config dhcp 'lan'
	option interface 'lan'
	list dns '8.8.8.8'
	list dns 'it'\\''s a \\ $x \`y\` ;#'
	option note 'a'\\''b'
	list one 'solo'

config dhcp 'wan'
	option ignore '1'
`;

Deno.test("uci export: lists as lists (one element too), quotes as uci writes them", () => {
  const sections = parseUciExport(DHCP);
  assertEquals(sections.map((s) => [s.type, s.name]), [
    ["dnsmasq", undefined],
    ["dhcp", "lan"],
    ["dhcp", "wan"],
  ]);
  const lan = findSection(sections, "lan")!;
  assertEquals(lan.options.get("dns"), ["8.8.8.8", "it's a \\ $x `y` ;#"]);
  assertEquals(lan.options.get("note"), "a'b");
  assertEquals(lan.options.get("one"), ["solo"]);
});

Deno.test("uci export: anonymous sections by type and index, from the end with a negative one", () => {
  const sections = parseUciExport(DHCP);
  assertEquals(findSection(sections, "@dnsmasq[0]")?.options.get("leasefile"), "/tmp/dhcp.leases");
  assertEquals(findSection(sections, "@dhcp[-1]")?.name, "wan");
  assertEquals(findSection(sections, "@dhcp[2]"), undefined);
  assertEquals(findSection(sections, "nope"), undefined);
  assertEquals(parseUciExport("config x\n\toption broken 'unclosed\n")[0].options.size, 0);
});
