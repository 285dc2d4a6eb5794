/**
 * The reader and the signatures against real apk output: each vector decodes to what
 * `apk adbdump` printed for it, apk's signatures verify with the test key, and one ledge
 * makes verifies with Debian's openssl (an implementation independent of WebCrypto's).
 */
import { assert, assertEquals, assertRejects } from "../../../tests/support/assert.ts";
import { adbFile, BLOCK, type Bytes, SCHEMA } from "./adb.ts";
import { adbdump } from "./_dump.ts";
import { checkPackage } from "./check.ts";
import { readAdb } from "./read.ts";
import { newKeyPem, signatureBlock, signingKey, verifies, verifyingKey } from "./sign.ts";

const FIXTURES = new URL("../../../tests/fixtures/apk/", import.meta.url);
const fixture = (name: string) => Deno.readFile(new URL(name, FIXTURES));
const fixtureText = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

const DUMPS: [string, string][] = [
  ["tiny-1-r0.apk", "tiny-1-r0.dump.txt"],
  ["full-0.1.0-r1.apk", "full-0.1.0-r1.dump.txt"],
  ["full-deflate-0.1.0-r1.apk", "full-0.1.0-r1.dump.txt"],
  ["signed-0.1.0-r1.apk", "signed-0.1.0-r1.dump.txt"],
  ["packages.adb", "packages.dump.txt"],
];

for (const [file, dump] of DUMPS) {
  Deno.test(`apk reader: ${file} reads as apk adbdump printed it`, async () => {
    assertEquals(adbdump(await readAdb(await fixture(file))), await fixtureText(dump));
  });
}

Deno.test("apk check: a package reads back as a listing whose files match their DATA blocks", async () => {
  const checked = await checkPackage(await fixture("full-deflate-0.1.0-r1.apk"));
  assertEquals(checked.info.name, "ledge-vector");
  const byPath = new Map(checked.entries.map((e) => [e.path, e]));
  assertEquals(byPath.get("/etc/ledge/config.json")?.mode, 0o600);
  assertEquals(byPath.get("/usr/lib/ledge/link")?.target, "blob.bin");
  assertEquals(byPath.get("/usr/lib/ledge/empty.txt")?.size, 0);
  assertEquals(byPath.get("/usr/share/ledge/empty")?.kind, "dir");
  assertEquals(
    byPath.get("/usr/lib/ledge/blob.bin")?.sha256,
    "bd3f75c886b0f47f8adf80ea14e64f3d8cbe525637a3fca8e9713aa667ae3741",
  );
  assertEquals(Object.keys(checked.scripts), ["post-install", "pre-deinstall", "post-upgrade"]);
});

Deno.test("apk check: a changed byte of a file's content is found, and named", async () => {
  const bytes = await fixture("full-0.1.0-r1.apk");
  const at = new TextDecoder("latin1").decode(bytes).indexOf("echo ledge");
  await assertRejects(() => checkPackage(flip(bytes, at)), /\/usr\/bin\/ledge: sha256 differs/);
});

const flip = (bytes: Bytes, at: number) => {
  const copy = bytes.slice();
  copy[at] ^= 1;
  return copy;
};

Deno.test("apk signatures: apk's verify with the test key; not with one byte changed or another key", async () => {
  const key = await verifyingKey(await fixtureText("test-key.pub.pem"));
  const other = await verifyingKey((await newKeyPem()).public);
  for (const name of ["signed-0.1.0-r1.apk", "packages.adb"]) {
    const bytes = await fixture(name);
    const file = await readAdb(bytes);
    assert(await verifies(file, key), `${name} verifies`);
    assert(!(await verifies(file, other)), `${name} with another key`);
    // A byte of the metadata (the package's name) changed: the signature no longer holds.
    const at = new TextDecoder("latin1").decode(bytes).indexOf(
      name === "packages.adb" ? "test feed" : "ledge-vector",
    );
    assert(!(await verifies(await readAdb(flip(bytes, at)), key)), `${name} changed`);
  }
  assert(!(await verifies(await readAdb(await fixture("full-0.1.0-r1.apk")), key)), "unsigned");
});

Deno.test("apk signatures: one ledge makes verifies with openssl dgst -sha512", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ledge-apk-" });
  try {
    const pems = await newKeyPem();
    const key = await signingKey(pems.private);
    const adb = new TextEncoder().encode("\0\0\0\0an ADB payload stands here....");
    const sig = await signatureBlock(key, SCHEMA.index, adb);
    assertEquals(Array.from(sig.payload.subarray(0, 2)), [0, 4], "v0, SHA-512");
    // What apk signs: the schema id, the 18 fixed bytes, SHA-512 of the ADB payload.
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, SCHEMA.index, true);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", adb));
    await Deno.writeFile(
      `${dir}/msg`,
      new Uint8Array([...head, ...sig.payload.subarray(0, 18), ...digest]),
    );
    await Deno.writeFile(`${dir}/sig.der`, sig.payload.subarray(18));
    await Deno.writeTextFile(`${dir}/pub.pem`, pems.public);
    const out = await new Deno.Command("openssl", {
      args: [
        "dgst",
        "-sha512",
        "-verify",
        `${dir}/pub.pem`,
        "-signature",
        `${dir}/sig.der`,
        `${dir}/msg`,
      ],
    }).output();
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "Verified OK");
    // And the key id is SHA-512 of the raw point, as apk computes it, not of the SPKI.
    const der = await crypto.subtle.exportKey("spki", key.public);
    const point = new Uint8Array(der).subarray(-65);
    const id = new Uint8Array(await crypto.subtle.digest("SHA-512", point)).subarray(0, 16);
    assertEquals(key.keyId, id);
    const signed = await readAdb(adbFile(SCHEMA.index, [{ type: BLOCK.adb, payload: adb }, sig]));
    assert(await verifies(signed, key.public));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apk keys: the SEC1 key openssl ecparam makes signs with the id apk gave it", async () => {
  const key = await signingKey(await fixtureText("test-key.pem"));
  const apkSigned = await readAdb(await fixture("packages.adb"));
  assertEquals(key.keyId, apkSigned.signatures[0].keyId);
});

Deno.test("apk reader: a broken file is refused with where and why", async () => {
  const tiny = await fixture("tiny-1-r0.apk");
  const cases: [Bytes, RegExp][] = [
    [new TextEncoder().encode("ADBz...."), /not an apk v3 file/],
    [tiny.subarray(0, 100), /runs past the end/],
    [
      adbFile(SCHEMA.package, [{ type: BLOCK.data, payload: new Uint8Array(8) }]),
      /first block is not the ADB/,
    ],
    [
      adbFile(SCHEMA.package, [
        { type: BLOCK.adb, payload: new Uint8Array(16) },
        { type: BLOCK.data, payload: new Uint8Array(8) },
        { type: BLOCK.sig, payload: new Uint8Array(18) },
      ]),
      /out of order/,
    ],
  ];
  for (const [bytes, reason] of cases) await assertRejects(() => readAdb(bytes), reason);
});
