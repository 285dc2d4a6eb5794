/**
 * Loads mqtt.js on first use. Its dependencies read the environment while they load
 * (`debug` enumerates every variable, `readable-stream` reads one), which would need an
 * unrestricted --allow-env; they see an empty environment instead, so the agent keeps its
 * narrow flags. Loading lazily also spares agents without MQTT the module's memory.
 */
import process from "node:process";

type Mqtt = typeof import("mqtt");

export async function loadMqtt(): Promise<Mqtt> {
  const env = Object.getOwnPropertyDescriptor(process, "env");
  Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
  try {
    return await import("mqtt");
  } finally {
    if (env) Object.defineProperty(process, "env", env);
  }
}
