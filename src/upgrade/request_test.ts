import { assertEquals } from "../../tests/support/assert.ts";
import { parseUpgradeRequest } from "./request.ts";

const HASH = "a".repeat(64);

Deno.test("parseUpgradeRequest: the defaults, and what it keeps", () => {
  assertEquals(
    parseUpgradeRequest({ url: "https://fw.example/img.bin", sha256: HASH.toUpperCase() }),
    {
      ok: true,
      value: { url: "https://fw.example/img.bin", sha256: HASH, keep: true, timeoutS: 1800 },
    },
  );
  assertEquals(
    parseUpgradeRequest({
      url: "http://10.0.0.1/img.bin",
      sha256: HASH,
      version: "r2",
      keep: false,
      window: "02:00-05:00",
      timeout: 60,
    }),
    {
      ok: true,
      value: {
        url: "http://10.0.0.1/img.bin",
        sha256: HASH,
        version: "r2",
        keep: false,
        window: { start: 120, end: 300 },
        windowText: "02:00-05:00",
        timeoutS: 60,
      },
    },
  );
});

Deno.test("parseUpgradeRequest: each refusal names the field and what it must be", () => {
  const cases: [unknown, string][] = [
    [{ url: "https://fw.example/i" }, "invalid meta.sha256: is required"],
    [
      { url: "https://fw.example/i", sha256: "abc" },
      "invalid meta.sha256: must be the image's SHA-256",
    ],
    [{ url: "ftp://fw.example/i", sha256: HASH }, "invalid meta.url: must be the image's https://"],
    [{ sha256: HASH }, "invalid meta.url"],
    [{ url: "https://f/i", sha256: HASH, keep: "yes" }, "invalid meta.keep"],
    [
      { url: "https://f/i", sha256: HASH, window: "2-5" },
      'invalid meta.window: must be "HH:MM-HH:MM"',
    ],
    [{ url: "https://f/i", sha256: HASH, timeout: 0 }, "invalid meta.timeout"],
    [{ url: "https://f/i", sha256: HASH, version: "" }, "invalid meta.version"],
  ];
  for (const [meta, start] of cases) {
    const parsed = parseUpgradeRequest(meta);
    const error = parsed.ok ? "" : parsed.reason;
    assertEquals(error.startsWith(start), true, `${JSON.stringify(meta)} → ${error}`);
  }
});
