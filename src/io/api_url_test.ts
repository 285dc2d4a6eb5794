import { assertEquals } from "../../tests/support/assert.ts";
import { apiUrl } from "./api_url.ts";

Deno.test("apiUrl adds SocketMan's query, keeping the configured one", () => {
  const url = apiUrl("https://api.example/stats?v=2", { token: "t&k=1", mac: "88-DC-00" });
  assertEquals(url.searchParams.get("v"), "2");
  assertEquals(url.searchParams.get("access_token"), "t&k=1");
  assertEquals(url.searchParams.get("mac"), "88-DC-00");
  assertEquals(url.search, "?v=2&access_token=t%26k%3D1&mac=88-DC-00");
  assertEquals(apiUrl("http://h/s", {}).search, "");
  assertEquals(apiUrl("http://h/s", { token: "" }).search, "", "an empty token is no token");
});
