import { assertEquals } from "../../tests/support/assert.ts";
import { firmwareLabel, parseFirmware, verdictOf } from "./firmware.ts";

const RELEASE_24 = `DISTRIB_ID='OpenWrt'
DISTRIB_RELEASE='24.10.0'
DISTRIB_REVISION='r28427-6df0e3d02a'
DISTRIB_TARGET='mediatek/filogic'
DISTRIB_DESCRIPTION='OpenWrt 24.10.0 r28427-6df0e3d02a'
`;

Deno.test("parseFirmware reads release and revision in any quoting; junk gives unknown", () => {
  assertEquals(parseFirmware(RELEASE_24), { release: "24.10.0", revision: "r28427-6df0e3d02a" });
  assertEquals(parseFirmware('DISTRIB_RELEASE="23.05.5"\nDISTRIB_REVISION=r24106\n'), {
    release: "23.05.5",
    revision: "r24106",
  });
  assertEquals(firmwareLabel(parseFirmware("\u0000garbage\nDISTRIB_RELEASE=''\n")), "unknown");
});

Deno.test("verdictOf: the expected release, revision or label; or any change when none", () => {
  const running = parseFirmware(RELEASE_24);
  for (const expected of ["24.10.0", "r28427-6df0e3d02a", "24.10.0 r28427-6df0e3d02a"]) {
    assertEquals(verdictOf("23.05.5 r24106", running, expected), { ok: true });
  }
  assertEquals(verdictOf("23.05.5 r24106", running, "24.10.1"), {
    ok: false,
    reason: "running 24.10.0 r28427-6df0e3d02a, expected 24.10.1: the flash did not take",
  });
  assertEquals(verdictOf("23.05.5 r24106", running), { ok: true });
  assertEquals(verdictOf("24.10.0 r28427-6df0e3d02a", running), {
    ok: false,
    reason: "firmware unchanged (24.10.0 r28427-6df0e3d02a): the flash did not take",
  });
});
