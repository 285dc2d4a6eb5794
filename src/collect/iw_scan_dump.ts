import { defined, type Parsed, toCount, toLabel } from "../linux/mod.ts";
import {
  channelOfFrequency,
  colonFields,
  type IwBlock,
  iwBlocks,
  leadingNumber,
} from "./_iw_text.ts";
import type { SurveyEntry } from "./sample.ts";

/** The RSN/WPA sections of a BSS, worded as iwinfo does: "WPA2 PSK (CCMP)". */
function encryptionOf(block: IwBlock, capability: string | undefined): string | undefined {
  const versions: string[] = [];
  const auth = new Set<string>();
  const ciphers = new Set<string>();
  for (const line of block.lines) {
    const section = /^\t(RSN|WPA):/.exec(line);
    if (section) versions.push(section[1] === "RSN" ? "WPA2" : "WPA");
    const detail = /\* (Pairwise ciphers|Authentication suites): (.*)$/.exec(line);
    if (versions.length && detail) {
      const target = detail[1] === "Pairwise ciphers" ? ciphers : auth;
      for (const word of detail[2].trim().split(/\s+/)) target.add(word.replace("IEEE", "").trim());
    }
  }
  if (versions.length === 0) {
    if (capability === undefined) return undefined;
    return /\bPrivacy\b/.test(capability) ? "WEP" : "none";
  }
  const names = [...new Set(versions)].sort().join("/");
  const cipherText = ciphers.size ? `(${[...ciphers].join(", ")})` : "";
  return [names, [...auth].filter(Boolean).join("/"), cipherText].filter(Boolean).join(" ");
}

/**
 * `iw dev IF scan dump` → the neighbouring BSSs (the last scan's results, without scanning).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseIwScanDump("BSS 00:11:22:33:44:55(on wlan0)\n\tfreq: 2412\n\tSSID: Cafe\n").value,
 *   [{ mac: "00:11:22:33:44:55", ssid: "Cafe", channel: 1, frequency: 2412 }],
 * );
 * ```
 */
export function parseIwScanDump(text: string): Parsed<SurveyEntry[]> {
  const { value: blocks, skipped } = iwBlocks(
    text,
    /^BSS ([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\s*\(on \S{1,15}\)/,
  );
  const survey = blocks.map((block) => {
    const f = colonFields(block);
    const frequency = leadingNumber(f.get("freq"));
    const dsChannel = /^channel (\d+)$/.exec(f.get("ds parameter set") ?? "")?.[1];
    const lastSeen = block.lines.map((l) => /last seen: (\d+) ms ago/.exec(l)?.[1]).find(Boolean);
    return defined<SurveyEntry>({
      mac: block.header[0].toUpperCase(),
      ssid: toLabel(f.get("ssid")),
      channel: toCount(dsChannel ?? f.get("primary channel")) ??
        channelOfFrequency(frequency === undefined ? undefined : Math.round(frequency)),
      frequency: frequency === undefined ? undefined : Math.round(frequency),
      signal: leadingNumber(f.get("signal")),
      encryption: encryptionOf(block, f.get("capability")),
      last_seen: toCount(lastSeen),
    });
  });
  return { value: survey, skipped };
}
