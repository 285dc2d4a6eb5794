import { assertEquals } from "../../tests/support/assert.ts";
import process from "node:process";
import { loadMqtt } from "./_load_mqtt.ts";

Deno.test("loading mqtt.js from many agents at once leaves the environment as it was", async () => {
  const before = Object.getOwnPropertyDescriptor(process, "env");
  const modules = await Promise.all(Array.from({ length: 5 }, () => loadMqtt()));
  assertEquals(new Set(modules.map((m) => m.MqttClient)).size, 1);
  assertEquals(Object.getOwnPropertyDescriptor(process, "env"), before);
  assertEquals(process.env.PATH, Deno.env.get("PATH"));
});
