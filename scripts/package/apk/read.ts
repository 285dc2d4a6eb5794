/**
 * Reads an apk-tools 3 file (package or index): inflates `ADBd`, splits the blocks and
 * checks their order (one ADB block, then SIG blocks, then DATA blocks: adb.c:146-183),
 * and decodes the metadata by its schema into plain objects named as `apk adbdump` names
 * the fields. Used to check every package the build writes, and by the tests.
 */
import { BLOCK, type Bytes, SCHEMA, TYPE, valueOffset, valueType } from "./adb.ts";
import { INDEX, type Kind, PACKAGE, type Schema } from "./schema.ts";

/** A SIG block. */
export interface Signature {
  /** The digest of the ADB block inside the message: 4 = SHA-512 (apk writes), 3 = SHA-256. */
  hashAlg: number;
  keyId: Bytes;
  /** The signature bytes (DER for ECDSA). */
  signature: Bytes;
}

/** A DATA block: the 1-based path and file slots, and the file's content. */
export interface DataBlock {
  path: number;
  file: number;
  content: Bytes;
}

/** The blocks of a file. */
export interface AdbFile {
  schema: number;
  /** The ADB block's payload: what the signatures and the index hash cover. */
  adb: Bytes;
  signatures: Signature[];
  data: DataBlock[];
}

/** A decoded object: fields by name; strings, bytes, numbers, nested objects and arrays. */
export type Decoded = { [field: string]: DecodedValue };
export type DecodedValue = string | number | Bytes | Decoded | DecodedValue[];

const text = new TextDecoder("utf-8", { fatal: true });

/** Inflates `ADBd` (and `ADBc` with deflate or none); plain `ADB.` as it is. */
export async function uncompressed(bytes: Bytes): Promise<Bytes> {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic === "ADB.") return bytes;
  let body: Bytes;
  if (magic === "ADBd") body = bytes.subarray(4);
  else if (magic === "ADBc" && bytes[4] === 0) return bytes.subarray(6);
  else if (magic === "ADBc" && bytes[4] === 1) body = bytes.subarray(6);
  else throw new Error(`not an apk v3 file (starts '${magic}'; zstd is not read)`);
  const stream = new Blob([body]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Splits `bytes` (any compression) into its blocks; throws on any structural fault. */
export async function readAdb(bytes: Bytes): Promise<AdbFile> {
  const file = await uncompressed(bytes);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 8 || view.getUint32(0, true) !== 0x2e424441) {
    throw new Error("not an ADB file: no 'ADB.' header");
  }
  const result: AdbFile = {
    schema: view.getUint32(4, true),
    adb: new Uint8Array(),
    signatures: [],
    data: [],
  };
  let at = 8;
  let seen = -1;
  while (at < file.length) {
    if (at + 4 > file.length) throw new Error(`block header cut off at ${at}`);
    const typeSize = view.getUint32(at, true);
    const type = typeSize >>> 30;
    if (type === BLOCK.ext) throw new Error(`extended block at ${at}: not written by ledge`);
    const size = typeSize & 0x3fffffff;
    if (size < 4 || at + size > file.length) throw new Error(`block at ${at} runs past the end`);
    const payload = file.subarray(at + 4, at + size);
    if (type < seen || (type === BLOCK.adb && seen === BLOCK.adb)) {
      throw new Error(`block of type ${type} at ${at} out of order`);
    }
    if (seen === -1 && type !== BLOCK.adb) throw new Error("the first block is not the ADB block");
    seen = type;
    if (type === BLOCK.adb) result.adb = payload;
    else if (type === BLOCK.sig) result.signatures.push(signatureOf(payload, at));
    else result.data.push(dataOf(payload, at));
    at += Math.ceil(size / 8) * 8;
  }
  if (seen === -1) throw new Error("no ADB block");
  return result;
}

function signatureOf(payload: Bytes, at: number): Signature {
  if (payload.length < 18 || payload[0] !== 0) throw new Error(`SIG block at ${at}: not v0`);
  return { hashAlg: payload[1], keyId: payload.subarray(2, 18), signature: payload.subarray(18) };
}

function dataOf(payload: Bytes, at: number): DataBlock {
  if (payload.length < 8) throw new Error(`DATA block at ${at}: no header`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    path: view.getUint32(0, true),
    file: view.getUint32(4, true),
    content: payload.subarray(8),
  };
}

/** The metadata of a package (`pckg`) or an index (`indx`), decoded by its schema. */
export function decode(file: AdbFile): Decoded {
  const schema = file.schema === SCHEMA.package
    ? PACKAGE
    : file.schema === SCHEMA.index
    ? INDEX
    : undefined;
  if (!schema) throw new Error(`unknown schema id 0x${file.schema.toString(16)}`);
  const adb = file.adb;
  if (adb.length < 8 || adb[0] !== 0) throw new Error("ADB block: unknown compat version");
  const view = new DataView(adb.buffer, adb.byteOffset, adb.byteLength);
  return decodeObject(view, view.getUint32(4, true), schema);
}

function decodeObject(view: DataView<ArrayBuffer>, v: number, schema: Schema): Decoded {
  const out: Decoded = {};
  slotsAt(view, v).forEach((slot, i) => {
    const field = schema.fields[i];
    if (!field) throw new Error(`${schema.name}: slot ${i + 1} is not in the schema`);
    if (slot !== 0) out[field[0]] = decodeValue(view, slot, field[1]);
  });
  return out;
}

/** The slot values of the object or array at `v`, slot 1 first. */
function slotsAt(view: DataView<ArrayBuffer>, v: number): number[] {
  const type = valueType(v);
  if (type !== TYPE.object && type !== TYPE.array) {
    throw new Error(`expected an object, found type 0x${type.toString(16)}`);
  }
  const at = valueOffset(v);
  const n = checked(view, at, 4).getUint32(at, true);
  checked(view, at, 4 * n);
  return Array.from({ length: n - 1 }, (_, i) => view.getUint32(at + 4 * (i + 1), true));
}

function decodeValue(view: DataView<ArrayBuffer>, v: number, kind: Kind): DecodedValue {
  if (typeof kind === "object" && "array" in kind) {
    return slotsAt(view, v).filter((s) => s !== 0).map((s) => decodeValue(view, s, kind.array));
  }
  if (typeof kind === "object") return decodeObject(view, v, kind);
  if (kind === "int" || kind === "oct") return intAt(view, v);
  const bytes = blobAt(view, v);
  return kind === "string" ? text.decode(bytes) : bytes;
}

function intAt(view: DataView<ArrayBuffer>, v: number): number {
  const at = valueOffset(v);
  switch (valueType(v)) {
    case TYPE.int:
      return at;
    case TYPE.int32:
      return checked(view, at, 4).getUint32(at, true);
    case TYPE.int64:
      return Number(checked(view, at, 8).getBigUint64(at, true));
  }
  throw new Error(`expected an integer, found type 0x${valueType(v).toString(16)}`);
}

function blobAt(view: DataView<ArrayBuffer>, v: number): Bytes {
  const at = valueOffset(v);
  const [width, length] = valueType(v) === TYPE.blob8
    ? [1, checked(view, at, 1).getUint8(at)]
    : valueType(v) === TYPE.blob16
    ? [2, checked(view, at, 2).getUint16(at, true)]
    : valueType(v) === TYPE.blob32
    ? [4, checked(view, at, 4).getUint32(at, true)]
    : [0, -1];
  if (length < 0) throw new Error(`expected a blob, found type 0x${valueType(v).toString(16)}`);
  checked(view, at + width, length);
  return new Uint8Array(view.buffer, view.byteOffset + at + width, length);
}

function checked(view: DataView<ArrayBuffer>, at: number, length: number): DataView<ArrayBuffer> {
  if (at + length > view.byteLength) throw new Error(`value at ${at} runs past the ADB block`);
  return view;
}
