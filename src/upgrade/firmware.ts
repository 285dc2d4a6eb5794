/**
 * The running firmware, from OpenWRT's /etc/openwrt_release, and the verdict after the
 * reboot. Pure: the file's text in, the firmware or the verdict out.
 */

/** The firmware as /etc/openwrt_release says: `24.10.0` and `r28427-6df0e3d02a`. */
export interface Firmware {
  release?: string;
  revision?: string;
}

/**
 * Reads `DISTRIB_RELEASE` and `DISTRIB_REVISION` from /etc/openwrt_release.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='24.10.0'\nDISTRIB_REVISION='r28427'\n";
 * assert.deepEqual(parseFirmware(text), { release: "24.10.0", revision: "r28427" });
 * ```
 */
export function parseFirmware(text: string): Firmware {
  const firmware: Firmware = {};
  for (const line of text.split("\n")) {
    const match = /^DISTRIB_(RELEASE|REVISION)=(?:'([^']*)'|"([^"]*)"|(\S*))\s*$/.exec(line.trim());
    if (!match) continue;
    const value = (match[2] ?? match[3] ?? match[4]).slice(0, 128);
    if (value) firmware[match[1] === "RELEASE" ? "release" : "revision"] = value;
  }
  return firmware;
}

/** The firmware in one string, as replies and `upgrade-status` show it. */
export function firmwareLabel(firmware: Firmware): string {
  return [firmware.release, firmware.revision].filter(Boolean).join(" ") || "unknown";
}

/** Whether the running firmware is the `expected` one: its release, revision or label. */
export function isFirmware(firmware: Firmware, expected: string): boolean {
  return [firmware.release, firmware.revision, firmwareLabel(firmware)].includes(expected);
}

/** After the reboot: the upgrade took, or why not. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether the flash took: the running firmware is the expected one, or, when the job named
 * none, it is not the one from before (re-flashing the same version needs `version`).
 */
export function verdictOf(before: string, running: Firmware, expected?: string): Verdict {
  const now = firmwareLabel(running);
  if (expected !== undefined) {
    return isFirmware(running, expected)
      ? { ok: true }
      : { ok: false, reason: `running ${now}, expected ${expected}: the flash did not take` };
  }
  return now !== before
    ? { ok: true }
    : { ok: false, reason: `firmware unchanged (${now}): the flash did not take` };
}
