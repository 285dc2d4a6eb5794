import { assertEquals } from "../../tests/support/assert.ts";
import { classifyStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from "./policy.ts";

Deno.test("answers are classified by status alone", () => {
  const cases: [number, string][] = [
    [200, "sent"],
    [201, "sent"],
    [204, "sent"],
    [301, "retry"],
    [302, "retry"],
    [400, "reject"],
    [401, "token"],
    [403, "reject"],
    [404, "reject"],
    [408, "retry"],
    [413, "reject"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [0, "retry"],
    [999, "retry"],
  ];
  for (const [status, verdict] of cases) assertEquals(classifyStatus(status), verdict, `${status}`);
});

Deno.test("Retry-After: delta seconds, HTTP dates, garbage", () => {
  const now = Date.parse("2026-11-24T12:00:00Z");
  assertEquals(parseRetryAfter("2", now), 2000);
  assertEquals(parseRetryAfter(" 0 ", now), 0);
  assertEquals(parseRetryAfter("Tue, 24 Nov 2026 12:00:30 GMT", now), 30_000);
  assertEquals(parseRetryAfter("Tue, 24 Nov 2026 11:00:00 GMT", now), 0);
  assertEquals(parseRetryAfter("99999999", now), MAX_RETRY_AFTER_MS);
  for (const bad of [null, "", "-1", "1.5", "soon", "2 s", "Tue, 99 Foo 2026"]) {
    assertEquals(parseRetryAfter(bad, now), undefined, String(bad));
  }
});
