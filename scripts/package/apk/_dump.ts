/**
 * A package or index as `apk adbdump` prints it (no trusted keys), so that what the reader
 * decodes can be compared with apk's own reading of the same file, text for text.
 */
import { bytesToHex } from "@noble/hashes/utils";
import { SCHEMA } from "./adb.ts";
import { type AdbFile, decode, type Decoded, type DecodedValue } from "./read.ts";
import { DEPENDENCY, INDEX, type Kind, PACKAGE, type Schema } from "./schema.ts";

/** The dump of `file`, ending in a newline. */
export function adbdump(file: AdbFile): string {
  const lines = [
    `#%SCHEMA: ${file.schema.toString(16).toUpperCase().padStart(8, "0")}`,
    `# ADB block, size: ${file.adb.length}, compat: ${file.adb[0]}, ver: ${file.adb[1]}`,
  ];
  object(lines, decode(file), file.schema === SCHEMA.index ? INDEX : PACKAGE, 0);
  for (const sig of file.signatures) {
    // apk shows the key id and the signature's start: 54 bytes in all.
    const shown = bytesToHex(new Uint8Array([...sig.keyId, ...sig.signature])).slice(0, 108);
    const alg = sig.hashAlg.toString(16).padStart(2, "0");
    lines.push(`# sig v00 h${alg} ${shown}..: UNTRUSTED signature`);
  }
  for (const d of file.data) lines.push(`# data block, size: ${8 + d.content.length}`);
  return lines.join("\n") + "\n";
}

function object(lines: string[], value: Decoded, schema: Schema, indent: number, first?: string) {
  let prefix = first;
  for (const [name, kind] of schema.fields) {
    if (value[name] === undefined) continue;
    const pad = prefix ?? " ".repeat(indent);
    prefix = undefined;
    field(lines, pad, name, value[name], kind, indent);
  }
}

function field(
  lines: string[],
  pad: string,
  name: string,
  value: DecodedValue,
  kind: Kind,
  indent: number,
) {
  if (typeof kind === "object" && "array" in kind) {
    const items = value as DecodedValue[];
    lines.push(`${pad}${name}: # ${items.length} items`);
    for (const item of items) {
      const dash = `${" ".repeat(indent + 2)}- `;
      if (typeof kind.array === "object" && !("array" in kind.array) && kind.array !== DEPENDENCY) {
        object(lines, item as Decoded, kind.array, indent + 4, dash);
      } else lines.push(dash + scalar(item, kind.array));
    }
  } else if (typeof kind === "object") {
    lines.push(`${pad}${name}:`);
    object(lines, value as Decoded, kind, indent + 2);
  } else if (typeof value === "string" && value.includes("\n")) {
    lines.push(`${pad}${name}: |`);
    for (const line of value.replace(/\n$/, "").split("\n")) {
      lines.push(" ".repeat(indent + 2) + line);
    }
  } else lines.push(`${pad}${name}: ${scalar(value, kind)}`);
}

function scalar(value: DecodedValue, kind: Kind): string {
  if (kind === DEPENDENCY) {
    const dep = value as Decoded;
    return dep.version === undefined ? String(dep.name) : `${dep.name}=${dep.version}`;
  }
  if (kind === "oct") return `0${(value as number).toString(8)}`;
  if (value instanceof Uint8Array) return bytesToHex(value);
  return String(value);
}
