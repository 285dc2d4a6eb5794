import { assertEquals } from "../../tests/support/assert.ts";
import {
  canonicalJson,
  checkSignature,
  legacySignedText,
  signedText,
  signJob,
  signJobLegacy,
} from "./signature.ts";

const SECRET = "0123456789abcdef-secret";
const NOW = 1_700_000_000;

async function signed(extra: Record<string, unknown> = {}) {
  const job = { id: "j1", timestamp: NOW - 5, meta: { msg: "uptime", type: "command" }, ...extra };
  return { ...job, sig: await signJob(job, SECRET) };
}

Deno.test("canonicalJson sorts keys at every level, by code point, without whitespace", () => {
  assertEquals(
    canonicalJson({ b: [1, { z: true, a: null }], a: "é\n\u2028", "😀": 1, "\uffff": 2 }),
    '{"a":"é\\n\u2028","b":[1,{"a":null,"z":true}],"\uffff":2,"😀":1}',
  );
});

Deno.test("signedText is the canonical JSON of the whole job without sig", () => {
  const job = { sig: "ab", meta: { type: "network", msg: "ls -l" }, id: "a", timeout: 5 };
  assertEquals(signedText(job), '{"id":"a","meta":{"msg":"ls -l","type":"network"},"timeout":5}');
  assertEquals(legacySignedText(job), "a\nundefined\nnetwork\nls -l");
});

Deno.test("signJob matches Python's json.dumps(sort_keys) + openssl HMAC-SHA256", async () => {
  // printf '%s' '{"id":"j1","meta":{"msg":"uptime","type":"command"},"timestamp":1699999995}' \
  //   | openssl dgst -sha256 -hmac 0123456789abcdef-secret
  assertEquals(
    (await signed()).sig,
    "54147ca7df39f38d032cee55110b0ce2dbb9e145392d4fb959d291d6cda26e49",
  );
});

Deno.test("checkSignature passes a good signature, also in upper-case hex", async () => {
  const job = await signed();
  assertEquals(await checkSignature(job, SECRET, NOW, 600), undefined);
  assertEquals(
    await checkSignature({ ...job, sig: job.sig.toUpperCase() }, SECRET, NOW, 600),
    undefined,
  );
});

Deno.test("checkSignature refuses a missing, malformed, wrong or tampered signature", async () => {
  const job = await signed();
  const bad: Record<string, unknown>[] = [
    { ...job, sig: undefined },
    { ...job, sig: "zz" },
    { ...job, sig: job.sig.slice(0, -2) },
    { ...job, sig: job.sig.slice(0, -1) + (job.sig.endsWith("0") ? "1" : "0") },
    { ...job, meta: { ...job.meta, msg: "reboot" } },
    { ...job, meta: { msg: "uptime", type: "network" } },
    { ...job, id: "j2" },
    { ...job, timestamp: job.timestamp + 1 },
    // Fields the legacy scheme did not cover are covered now.
    { ...job, timeout: 86_400 },
    { ...job, expires: NOW + 10 ** 6 },
    { ...job, meta: { ...job.meta, url: "http://evil/" } },
  ];
  const { timestamp: _, ...undated } = job;
  bad.push(undated);
  for (const candidate of bad) {
    assertEquals(await checkSignature(candidate, SECRET, NOW, 600), "bad signature");
  }
  assertEquals(await checkSignature(job, SECRET + "x", NOW, 600), "bad signature");
});

Deno.test("a signature cannot be re-cut: text moved between type and msg is refused", async () => {
  const base = { id: "j1", timestamp: NOW };
  const original = { ...base, meta: { type: "command", msg: "exit 0\necho X" } };
  const recut = { ...base, meta: { type: "command\nexit 0", msg: "echo X" } };
  // The legacy texts are identical: that was the hole.
  assertEquals(legacySignedText(original), legacySignedText(recut));
  const sig = await signJob(original, SECRET);
  assertEquals(await checkSignature({ ...original, sig }, SECRET, NOW, 600), undefined);
  assertEquals(await checkSignature({ ...recut, sig }, SECRET, NOW, 600), "bad signature");
  // Even with legacy accepted, a canonical signature does not carry over to the re-cut job.
  assertEquals(
    await checkSignature({ ...recut, sig }, SECRET, NOW, 600, "canonical+legacy"),
    "bad signature",
  );
});

Deno.test("the legacy scheme is accepted only when asked for", async () => {
  const job = { id: "j1", timestamp: NOW, meta: { msg: "uptime", type: "command" } };
  // printf 'j1\n1700000000\ncommand\nuptime' | openssl dgst -sha256 -hmac 0123456789abcdef-secret
  const sig = await signJobLegacy(job, SECRET);
  assertEquals(await checkSignature({ ...job, sig }, SECRET, NOW, 600), "bad signature");
  assertEquals(
    await checkSignature({ ...job, sig }, SECRET, NOW, 600, "canonical+legacy"),
    undefined,
  );
});

Deno.test("checkSignature refuses a well-signed job outside job_max_age, either way", async () => {
  const old = await signed({ timestamp: NOW - 601 });
  const future = await signed({ timestamp: NOW + 601 });
  assertEquals(await checkSignature(old, SECRET, NOW, 600), "too old");
  assertEquals(await checkSignature(future, SECRET, NOW, 600), "too old");
  assertEquals(
    await checkSignature(await signed({ timestamp: NOW - 600 }), SECRET, NOW, 600),
    undefined,
  );
});
