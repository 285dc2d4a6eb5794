import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseLabelFile, parseOsRelease } from "./os_release.ts";

Deno.test("os-release: PRETTY_NAME on Debian and OpenWRT", () => {
  assertEquals(parseOsRelease(fixture("etc/os-release.debian")), {
    value: { firmware: "Debian GNU/Linux 12 (bookworm)" },
    skipped: 0,
  });
  assertEquals(parseOsRelease(fixture("etc/os-release.openwrt")), {
    value: { firmware: "OpenWrt 23.05.2" },
    skipped: 0,
  });
});

Deno.test("openwrt_release: single quotes, DISTRIB_DESCRIPTION", () => {
  assertEquals(parseOsRelease(fixture("etc/openwrt_release")), {
    value: { firmware: "OpenWrt 23.05.2 r23630-842932a63d" },
    skipped: 0,
  });
});

Deno.test("os-release: garbage lines counted, NAME VERSION as a fallback", () => {
  assertEquals(parseOsRelease('# comment\nNAME=Alpine\nVERSION="3.20"\nnot a line\n'), {
    value: { firmware: "Alpine 3.20" },
    skipped: 1,
  });
  assertEquals(parseOsRelease(""), { value: {}, skipped: 0 });
});

Deno.test("label files: openwrt_version and sysinfo model", () => {
  assertEquals(parseLabelFile(fixture("etc/openwrt_version")), {
    value: "OpenWrt 23.05.2 r23630-842932a63d",
    skipped: 0,
  });
  assertEquals(parseLabelFile(fixture("etc/sysinfo_model")), {
    value: "TP-Link Archer C7 v5",
    skipped: 0,
  });
  assertEquals(parseLabelFile("bad\u0001label\n"), { value: undefined, skipped: 1 });
});
