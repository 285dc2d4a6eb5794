/**
 * apk-tools 3's container, "ADB": the file header, the blocks, and the value encoding of
 * the ADB block (the metadata), written the way `apk mkpkg` writes it, so that the same
 * tree gives the same bytes as apk's own tool. Facts and `file:line` citations:
 * openwrt-apk.md §1 (apk-tools v3.0.2, src/adb.c and src/adb.h).
 */
import { bytesToHex } from "@noble/hashes/utils";
import { deflateRawSync } from "node:zlib";

/** Bytes on an ArrayBuffer (what files, encoders and WebCrypto give and take). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** A value: the type in the top 4 bits, an immediate or an offset in the low 28. */
export type Value = number;

export const NULL: Value = 0;
export const TYPE = {
  int: 0x1,
  int32: 0x2,
  int64: 0x3,
  blob8: 0x8,
  blob16: 0x9,
  blob32: 0xa,
  array: 0xd,
  object: 0xe,
} as const;

/** The schema ids of the file header. */
export const SCHEMA = { package: 0x676b6370, index: 0x78646e69 } as const;
const MAGIC = 0x2e424441; // "ADB."
export const BLOCK = { adb: 0, sig: 1, data: 2, ext: 3 } as const;
const BLOCK_ALIGN = 8;
/** Larger payloads need the 16-byte extended block header, which nothing here writes. */
const MAX_SHORT_PAYLOAD = 0x3fffffff - 4;

export const valueType = (v: Value) => v >>> 28;
export const valueOffset = (v: Value) => v & 0x0fffffff;
const value = (type: number, offset: number): Value => ((type << 28) | offset) >>> 0;

const utf8 = new TextEncoder();

/**
 * Builds an ADB payload as apk's writer does (adb.c:351-1000): each item is appended at
 * its alignment after zero padding; identical bytes at an aligned offset are shared
 * (objects included), except blobs written raw; an empty blob and an object without a
 * non-NULL slot are NULL; trailing NULL slots are trimmed.
 */
export class AdbWriter {
  #bytes = new Uint8Array(4096);
  #length = 0;
  #written = new Map<string, number>();

  constructor() {
    this.#append(new Uint8Array(8), 8); // adb_hdr: versions 0, root set last
  }

  /** A string or bytes; NULL when empty. */
  blob(data: string | Bytes): Value {
    return this.#blob(typeof data === "string" ? utf8.encode(data) : data, true);
  }

  /** Bytes never shared with another item, to be overwritten later (the package id). */
  rawBlob(data: Bytes): Value {
    return this.#blob(data, false);
  }

  /** An unsigned integer, immediate below 2^28. */
  int(n: number): Value {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an ADB integer: ${n}`);
    if (n < 0x10000000) return value(TYPE.int, n);
    if (n < 0x100000000) {
      const item = new Uint8Array(4);
      new DataView(item.buffer).setUint32(0, n, true);
      return value(TYPE.int32, this.#data(item, 4));
    }
    const item = new Uint8Array(8);
    new DataView(item.buffer).setBigUint64(0, BigInt(n), true);
    return value(TYPE.int64, this.#data(item, 4));
  }

  /**
   * An object or array from its slots (slot 1 first). apk writes arrays with the object
   * tag too (openwrt-apk.md §1.3), and readers go by the schema.
   */
  object(slots: readonly Value[]): Value {
    let n = slots.length;
    while (n > 0 && slots[n - 1] === NULL) n--;
    if (n === 0) return NULL;
    const item = new Uint8Array(4 * (n + 1));
    const view = new DataView(item.buffer);
    view.setUint32(0, n + 1, true);
    for (let i = 0; i < n; i++) view.setUint32(4 * (i + 1), slots[i], true);
    return value(TYPE.object, this.#data(item, 4));
  }

  /** Sets the root value; the payload is then complete. */
  root(v: Value): void {
    new DataView(this.#bytes.buffer).setUint32(4, v, true);
  }

  /** The payload so far (a view: later writes may move it). */
  payload(): Bytes {
    return this.#bytes.subarray(0, this.#length);
  }

  /** Overwrites bytes at `offset` (the blob at value `v`, after its length). */
  patchBlob(v: Value, data: Bytes): void {
    if (valueType(v) !== TYPE.blob8) throw new Error("only a short blob can be patched");
    this.#bytes.set(data, valueOffset(v) + 1);
  }

  #blob(data: Bytes, shared: boolean): Value {
    const n = data.length;
    if (n === 0) return NULL;
    const [type, width] = n > 0xffff ? [TYPE.blob32, 4] : n > 0xff ? [TYPE.blob16, 2] : [
      TYPE.blob8,
      1,
    ];
    const item = new Uint8Array(width + n);
    const view = new DataView(item.buffer);
    if (width === 4) view.setUint32(0, n, true);
    else if (width === 2) view.setUint16(0, n, true);
    else item[0] = n;
    item.set(data, width);
    return value(type, shared ? this.#data(item, width) : this.#append(item, width));
  }

  /** Appends `item`, or returns where the same bytes already are at an aligned offset. */
  #data(item: Bytes, align: number): number {
    const key = bytesToHex(item);
    const at = this.#written.get(key);
    if (at !== undefined && at % align === 0) return at;
    const offset = this.#append(item, align);
    this.#written.set(key, offset);
    return offset;
  }

  #append(item: Bytes, align: number): number {
    const start = Math.ceil(this.#length / align) * align;
    const end = start + item.length;
    if (end >= 0x10000000) throw new RangeError("ADB payload over 256 MiB");
    if (end > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#bytes.fill(0, this.#length, start);
    this.#bytes.set(item, start);
    this.#length = end;
    return start;
  }
}

/** One block of a file: its type and payload. */
export interface Block {
  type: number;
  payload: Bytes;
}

/** The uncompressed file: `ADB.`, the schema id, then each block padded to 8 bytes. */
export function adbFile(schema: number, blocks: readonly Block[]): Bytes {
  const size = blocks.reduce((sum, b) => sum + padded(4 + b.payload.length), 8);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, schema, true);
  let at = 8;
  for (const block of blocks) {
    if (block.payload.length > MAX_SHORT_PAYLOAD) throw new RangeError("block over 1 GiB");
    view.setUint32(at, ((block.type << 30) | (4 + block.payload.length)) >>> 0, true);
    out.set(block.payload, at + 4);
    at += padded(4 + block.payload.length);
  }
  return out;
}

const padded = (n: number) => Math.ceil(n / BLOCK_ALIGN) * BLOCK_ALIGN;

/** A DATA block's payload: the 1-based path and file slots, then the file's bytes. */
export function dataBlock(path: number, file: number, content: Bytes): Block {
  const payload = new Uint8Array(8 + content.length);
  const view = new DataView(payload.buffer);
  view.setUint32(0, path, true);
  view.setUint32(4, file, true);
  payload.set(content, 8);
  return { type: BLOCK.data, payload };
}

/**
 * `ADBd` + raw deflate of the whole file at level 9, as apk writes it by default
 * (io_gunzip.c:149-153); OpenWRT's apk reads it (it has no zstd). A build-time tool, so
 * node:zlib's level setting is worth its cost here (CompressionStream has none).
 */
export function deflated(file: Bytes): Bytes {
  const body = deflateRawSync(file, { level: 9 });
  const out = new Uint8Array(4 + body.length);
  out.set(utf8.encode("ADBd"));
  out.set(body, 4);
  return out;
}
