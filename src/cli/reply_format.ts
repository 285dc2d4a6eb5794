/**
 * `ledge ctl`'s readable output: lists of objects as aligned tables, objects as
 * `key: value` lines, nested values indented. Colour only when asked (a terminal).
 */

import { escapeControls } from "../log/mod.ts";

const ENVELOPE = new Set(["status", "code", "message"]);

interface Style {
  key(text: string): string;
  header(text: string): string;
}

const PLAIN: Style = { key: (t) => t, header: (t) => t };
const COLOUR: Style = {
  key: (t) => `\x1b[36m${t}\x1b[0m`,
  header: (t) => `\x1b[1m${t}\x1b[0m`,
};

type Row = Record<string, unknown>;

function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One table cell or one `key: value` value; a job's output cannot drive the terminal. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value) && value.every((v) => !isRow(v) && !Array.isArray(v))) {
    return value.length === 0 ? "-" : escapeControls(value.join(","));
  }
  return escapeControls(typeof value === "object" ? JSON.stringify(value) : String(value));
}

function table(rows: Row[], style: Style, indent: string): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))].map(escapeControls);
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => keys.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[], paint = (t: string) => t) =>
    indent + values.map((v, i) => paint(i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join("  ");
  return [line(columns, style.header), ...cells.map((r) => line(r))];
}

function lines(value: unknown, style: Style, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isRow)) return table(value, style, indent);
    if (value.some((v) => isRow(v) || Array.isArray(v))) {
      return value.flatMap((v) => lines(v, style, indent));
    }
    return value.map((v) => indent + cell(v));
  }
  if (!isRow(value)) return [indent + cell(value)];
  const width = Math.max(0, ...Object.keys(value).map((k) => k.length + 1));
  return Object.entries(value).flatMap(([key, v]) => {
    const label = indent + style.key(`${escapeControls(key)}:`.padEnd(width));
    const nested = (isRow(v) && Object.keys(v).length > 0) ||
      (Array.isArray(v) && v.some((x) => isRow(x) || Array.isArray(x)));
    return nested ? [label.trimEnd(), ...lines(v, style, indent + "  ")] : [`${label} ${cell(v)}`];
  });
}

/**
 * The readable form of an answer's payload (everything but status, code and message).
 * @example
 * formatReply({ status: "ok", code: 200, "log-level": { level: "warn" } }, false);
 * // "level: warn"
 */
export function formatReply(reply: Row, colour: boolean): string {
  const style = colour ? COLOUR : PLAIN;
  const payload = Object.entries(reply).filter(([key]) => !ENVELOPE.has(key));
  if (payload.length === 0) {
    return typeof reply.message === "string" ? escapeControls(reply.message) : "ok";
  }
  if (payload.length === 1) return lines(payload[0][1], style, "").join("\n");
  return lines(Object.fromEntries(payload), style, "").join("\n");
}
