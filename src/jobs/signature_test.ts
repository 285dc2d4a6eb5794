import { assertEquals } from "../../tests/support/assert.ts";
import { checkSignature, signedText, signJob } from "./signature.ts";

const SECRET = "0123456789abcdef-secret";
const NOW = 1_700_000_000;

async function signed(extra: Record<string, unknown> = {}) {
  const job = { id: "j1", timestamp: NOW - 5, meta: { msg: "uptime", type: "command" }, ...extra };
  return { ...job, sig: await signJob(job, SECRET) };
}

Deno.test("signedText joins id, timestamp, type and msg with newlines", () => {
  assertEquals(
    signedText({ id: "a", timestamp: 7, meta: { msg: "ls -l", type: "network" } }),
    "a\n7\nnetwork\nls -l",
  );
  assertEquals(signedText({ id: "a", timestamp: 7, meta: { msg: "x" } }), "a\n7\n\nx");
});

Deno.test("signJob matches openssl's HMAC-SHA256", async () => {
  // printf 'j1\n1699999995\ncommand\nuptime' | openssl dgst -sha256 -hmac 0123456789abcdef-secret
  assertEquals(
    (await signed()).sig,
    "f54c35a4aa077b2e919f11fa96d3632673433ada269a016cc465b535c752f569",
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
  const bad = [
    { ...job, sig: undefined },
    { ...job, sig: "zz" },
    { ...job, sig: job.sig.slice(0, -2) },
    { ...job, sig: job.sig.slice(0, -1) + (job.sig.endsWith("0") ? "1" : "0") },
    { ...job, meta: { ...job.meta, msg: "reboot" } },
    { ...job, meta: { msg: "uptime", type: "network" } },
    { ...job, id: "j2" },
    { ...job, timestamp: job.timestamp + 1 },
  ];
  const { timestamp: _, ...undated } = job;
  bad.push(undated as typeof job);
  for (const candidate of bad) {
    assertEquals(await checkSignature(candidate, SECRET, NOW, 600), "bad signature");
  }
  assertEquals(await checkSignature(job, SECRET + "x", NOW, 600), "bad signature");
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
