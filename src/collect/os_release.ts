import { lines, type Parsed, toLabel } from "../linux/mod.ts";

/**
 * /etc/os-release (and OpenWRT's /etc/openwrt_release): `KEY="value"` lines → the firmware
 * label, PRETTY_NAME else NAME VERSION (DISTRIB_DESCRIPTION on OpenWRT's file).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseOsRelease('NAME="OpenWrt"\nPRETTY_NAME="OpenWrt 23.05.2"\n').value,
 *   { firmware: "OpenWrt 23.05.2" },
 * );
 * ```
 */
export function parseOsRelease(text: string): Parsed<{ firmware?: string }> {
  const values = new Map<string, string>();
  let skipped = 0;
  for (const line of lines(text)) {
    if (line.trimStart().startsWith("#")) continue;
    const match = /^([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|'([^']*)'|([^\s"']*))\s*$/.exec(line.trim());
    if (!match) {
      skipped++;
      continue;
    }
    values.set(match[1], match[2] ?? match[3] ?? match[4]);
  }
  const joined = [values.get("NAME"), values.get("VERSION")].filter(Boolean).join(" ");
  const firmware = toLabel(
    values.get("PRETTY_NAME") || values.get("DISTRIB_DESCRIPTION") || joined,
  );
  return { value: firmware ? { firmware } : {}, skipped };
}

/**
 * A one-line file holding a label: /etc/openwrt_version (`r23630-842932a63d` or `23.05.2`),
 * /tmp/sysinfo/model (`TP-Link Archer C7 v5`).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseLabelFile("TP-Link Archer C7 v5\n").value, "TP-Link Archer C7 v5");
 * ```
 */
export function parseLabelFile(text: string): Parsed<string | undefined> {
  const all = lines(text);
  if (all.length === 0) return { value: undefined, skipped: 0 };
  const label = toLabel(all[0]);
  return { value: label, skipped: label ? all.length - 1 : all.length };
}
