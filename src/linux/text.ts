/** Shared by the parsers of kernel and tool text: the result shape and strict conversions. */

/** A parse result: what could be read, and how many malformed lines were skipped. */
export interface Parsed<T> {
  /** What could be read. */
  value: T;
  /** How many malformed lines were skipped. */
  skipped: number;
}

/** Non-empty lines without their `\r`, so CRLF copies of files parse the same. */
export function lines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
}

/**
 * The complete lines of a multi-line file. A last line without its newline was cut (a file
 * rewritten in place, as dnsmasq does, or a short read): it is dropped and counted.
 */
export function wholeLines(text: string): Parsed<string[]> {
  const all = lines(text);
  const torn = text !== "" && !text.endsWith("\n") && all.length > 0;
  return torn ? { value: all.slice(0, -1), skipped: 1 } : { value: all, skipped: 0 };
}

/**
 * The data rows of a /proc/net table (net/dev, net/wireless): whole lines without the
 * `Inter-|` and ` face |` header lines.
 */
export function procTableRows(text: string): Parsed<string[]> {
  const { value, skipped } = wholeLines(text);
  return { value: value.filter((line) => !line.includes("|")), skipped };
}

/** A decimal integer within the safe range, else undefined. */
export function toInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*[-+]?\d+\s*$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A non-negative integer (a counter), else undefined. */
export function toCount(text: string | undefined): number | undefined {
  const value = toInt(text);
  return value !== undefined && value >= 0 ? value : undefined;
}

/** A finite decimal number ("0.10", "-40.", "20.00"), else undefined. */
export function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

const MAC = /^\s*[0-9a-f]{2}(:[0-9a-f]{2}){5}\s*$/i;

/** A MAC address normalised to lower case with colons, else undefined. */
export function toMac(text: string | undefined): string | undefined {
  if (text === undefined || !MAC.test(text)) return undefined;
  return text.trim().toLowerCase();
}

/** A MAC (or BSSID) as SocketMan wrote Wi-Fi addresses: upper case with colons. */
export function toUpperMac(text: string | undefined): string | undefined {
  return toMac(text)?.toUpperCase();
}

/** A network interface name as the kernel allows it (1–15 chars, no `/`, `:` or space). */
export function isInterfaceName(name: string): boolean {
  return /^[^\s/:]{1,15}$/.test(name);
}

/** Text meant for a human label (model, SSID, hostname): printable, bounded. */
export function toLabel(text: string | undefined, max = 128): string | undefined {
  const label = text?.trim();
  if (!label || label.length > max) return undefined;
  for (let i = 0; i < label.length; i++) {
    const code = label.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return undefined;
  }
  return label;
}

/** Copies only the defined values, so that unknowns are omitted rather than `undefined`. */
export function defined<T extends object>(value: T): T {
  // A plain loop: this runs once per lease and station, and entries/fromEntries cost 10×.
  const out = {} as T;
  for (const key in value) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}
