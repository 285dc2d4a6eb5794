/** The text `iw` prints: a header line per object, then indented `key: value` lines. */
import { lines, type Parsed, toNumber } from "../linux/mod.ts";

export interface IwBlock {
  /** The header's capture groups. */
  header: string[];
  /** The block's lines, untrimmed (indentation tells sections apart). */
  lines: string[];
}

/**
 * Splits `iw` output into blocks at each line matching `header` (tested trimmed). Lines before
 * the first header that `preamble` does not accept are counted as skipped.
 */
export function iwBlocks(text: string, header: RegExp, preamble?: RegExp): Parsed<IwBlock[]> {
  const blocks: IwBlock[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    const match = header.exec(line.trim());
    if (match) blocks.push({ header: match.slice(1), lines: [] });
    else if (blocks.length > 0) blocks[blocks.length - 1].lines.push(line);
    else if (!preamble?.test(line.trim())) skipped++;
  }
  return { value: blocks, skipped };
}

/** The first `key: value` of each key, keys lower-cased (`iw` capitalises some: `SSID`). */
export function colonFields(block: IwBlock): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().replace(/^\* /, "").toLowerCase();
    if (!fields.has(key)) fields.set(key, line.slice(colon + 1).trim());
  }
  return fields;
}

/** The leading number of a value such as `-50 [-52, -53] dBm` or `2412.0`. */
export function leadingNumber(value: string | undefined): number | undefined {
  return toNumber(value?.match(/^[-+]?\d+(\.\d+)?/)?.[0]);
}

/** A rate such as `866.7 MBit/s VHT-MCS 9` or `500.0Mbps` in kbit/s, as iwinfo counts. */
export function rateKbits(value: string | undefined): number | undefined {
  const match = value?.match(/^(\d+(?:\.\d+)?)\s*(MBit\/s|Mbps)/i);
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** A rate in whole Mbit/s, as SocketMan sent station bitrates (nl80211's 100 kbit/s ÷ 10). */
export function rateMbits(value: string | undefined): number | undefined {
  const kbits = rateKbits(value);
  return kbits === undefined ? undefined : Math.floor(kbits / 1000);
}

/** The MCS index in a rate such as `866.7 MBit/s VHT-MCS 9 80MHz` (HT, VHT, HE, EHT). */
export function mcsOf(value: string | undefined): number | undefined {
  const match = value?.match(/(?:^|\s)(?:[A-Z]+-)?MCS (\d{1,2})(?:\s|$)/);
  return match ? Number(match[1]) : undefined;
}

/** The 802.11 channel number of a centre frequency in MHz (2.4, 5 and 6 GHz bands). */
export function channelOfFrequency(mhz: number | undefined): number | undefined {
  if (mhz === undefined) return undefined;
  if (mhz === 2484) return 14;
  if (mhz >= 2412 && mhz <= 2472) return (mhz - 2407) / 5;
  if (mhz >= 5955 && mhz <= 7115) return (mhz - 5950) / 5;
  if (mhz >= 5000 && mhz <= 5900) return (mhz - 5000) / 5;
  return undefined;
}
