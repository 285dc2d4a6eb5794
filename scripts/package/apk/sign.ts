/**
 * apk-tools 3 signatures with WebCrypto (openwrt-apk.md §1.7; adb.c:1300-1385): ECDSA P-256
 * with SHA-512 over `u32le(schema) || 0 || hash_alg || key id || digest(ADB payload)`, the
 * signature in DER, the key id the first 16 bytes of SHA-512 over the raw public point.
 * Keys are PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`, what
 * `openssl ecparam -genkey` and OpenWRT's build make) for signing, SPKI to verify.
 */
import { concatBytes } from "../../../src/io/mod.ts";
import { BLOCK, type Block, type Bytes } from "./adb.ts";
import type { AdbFile, Signature } from "./read.ts";

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const SHA512 = { name: "ECDSA", hash: "SHA-512" } as const;
/** hash_alg values (apk_crypto.h): the digest of the ADB block inside the message. */
const DIGEST: Record<number, string> = { 3: "SHA-256", 4: "SHA-512" };
const SHA512_ID = 4;

/** A signing key, its public half and apk's id for it. */
export interface SigningKey {
  private: CryptoKey;
  public: CryptoKey;
  keyId: Bytes;
}

/** The DER bytes of the first PEM block labelled `label`, or undefined. */
export function pemBlock(pem: string, label: string): Bytes | undefined {
  const match = pem.match(new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`));
  return match
    ? Uint8Array.from(atob(match[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0))
    : undefined;
}

/** PEM text of `der` under `label`, 64 characters a line as openssl writes it. */
export function pem(der: Bytes, label: string): string {
  const base64 = btoa(String.fromCharCode(...der));
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** A DER length. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

const der = (tag: number, ...parts: Bytes[]) => {
  const body = concatBytes(parts);
  return concatBytes([Uint8Array.of(tag, ...derLength(body.length)), body]);
};

/** id-ecPublicKey with prime256v1: the algorithm of a P-256 PKCS#8 key. */
const P256_ALGORITHM = Uint8Array.from([
  0x30,
  0x13,
  0x06,
  0x07,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x02,
  0x01,
  0x06,
  0x08,
  0x2a,
  0x86,
  0x48,
  0xce,
  0x3d,
  0x03,
  0x01,
  0x07,
]);

/** The PKCS#8 wrapping of a SEC1 `ECPrivateKey` (RFC 5915 in RFC 5208). */
const pkcs8OfSec1 = (sec1: Bytes) =>
  der(0x30, Uint8Array.of(0x02, 0x01, 0x00), P256_ALGORITHM, der(0x04, sec1));

/** Imports a P-256 private key from PEM (PKCS#8 or SEC1); other keys are refused. */
export async function signingKey(pemText: string): Promise<SigningKey> {
  const sec1 = pemBlock(pemText, "EC PRIVATE KEY");
  const body = pemBlock(pemText, "PRIVATE KEY") ?? (sec1 && pkcs8OfSec1(sec1));
  if (!body) throw new Error("no P-256 private key (PEM 'PRIVATE KEY' or 'EC PRIVATE KEY')");
  const privateKey = await crypto.subtle.importKey("pkcs8", body, ECDSA, true, ["sign"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", privateKey);
  const publicKey = await crypto.subtle.importKey("jwk", { kty, crv, x, y }, ECDSA, true, [
    "verify",
  ]);
  return { private: privateKey, public: publicKey, keyId: await keyIdOf(publicKey) };
}

/** Imports a public key from PEM (`BEGIN PUBLIC KEY`). */
export async function verifyingKey(pemText: string): Promise<CryptoKey> {
  const spki = pemBlock(pemText, "PUBLIC KEY");
  if (!spki) throw new Error("no public key (PEM 'PUBLIC KEY')");
  return await crypto.subtle.importKey("spki", spki, ECDSA, true, ["verify"]);
}

/** A fresh key pair, as PEM texts (PKCS#8 private, SPKI public). */
export async function newKeyPem(): Promise<{ private: string; public: string }> {
  const pair = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  return {
    private: pem(
      new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
      "PRIVATE KEY",
    ),
    public: pem(
      new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
      "PUBLIC KEY",
    ),
  };
}

/** apk's key id: SHA-512 of the uncompressed point `04||X||Y`, first 16 bytes. */
export async function keyIdOf(publicKey: CryptoKey): Promise<Bytes> {
  const point = new Uint8Array(await crypto.subtle.exportKey("raw", publicKey));
  return new Uint8Array(await crypto.subtle.digest("SHA-512", point)).subarray(0, 16);
}

/** What is signed: the schema id, the SIG header, and the digest of the ADB payload. */
async function message(schema: number, hashAlg: number, keyId: Bytes, adb: Bytes) {
  const digest = DIGEST[hashAlg];
  if (!digest) throw new Error(`unknown signature digest ${hashAlg}`);
  const head = new Uint8Array(4 + 18);
  new DataView(head.buffer).setUint32(0, schema, true);
  head[5] = hashAlg;
  head.set(keyId, 6);
  return concatBytes([head, new Uint8Array(await crypto.subtle.digest(digest, adb))]);
}

/** The SIG block for an ADB payload of `schema`. */
export async function signatureBlock(key: SigningKey, schema: number, adb: Bytes): Promise<Block> {
  const msg = await message(schema, SHA512_ID, key.keyId, adb);
  const raw = new Uint8Array(await crypto.subtle.sign(SHA512, key.private, msg));
  return {
    type: BLOCK.sig,
    payload: concatBytes([msg.subarray(4, 22), derSignature(raw)]),
  };
}

/** True when one of `file`'s signatures is `key`'s over its ADB block. */
export async function verifies(file: AdbFile, key: CryptoKey): Promise<boolean> {
  const keyId = await keyIdOf(key);
  for (const sig of file.signatures) {
    if (!sig.keyId.every((b, i) => b === keyId[i])) continue;
    const raw = rawSignature(sig);
    if (!raw || !DIGEST[sig.hashAlg]) continue;
    const msg = await message(file.schema, sig.hashAlg, sig.keyId, file.adb);
    if (await crypto.subtle.verify(SHA512, key, raw, msg)) return true;
  }
  return false;
}

/** P1363 `r||s` (what WebCrypto gives) as DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function derSignature(raw: Bytes): Bytes {
  const integer = (bytes: Bytes) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    return der(0x02, trimmed[0] & 0x80 ? concatBytes([Uint8Array.of(0), trimmed]) : trimmed);
  };
  const half = raw.length / 2;
  return der(0x30, integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

/** DER back to the 64-byte `r||s`; undefined when it is not a P-256 ECDSA signature. */
function rawSignature(sig: Signature): Bytes | undefined {
  const d = sig.signature;
  if (d[0] !== 0x30 || d[1] !== d.length - 2) return undefined;
  const out = new Uint8Array(64);
  let at = 2;
  for (const half of [0, 32]) {
    if (d[at] !== 0x02) return undefined;
    const length = d[at + 1];
    let value = d.subarray(at + 2, at + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) return undefined;
    out.set(value, half + 32 - value.length);
    at += 2 + length;
  }
  return at === d.length ? out : undefined;
}
