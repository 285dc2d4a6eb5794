/**
 * Loads mqtt.js on first use. Its dependencies read the environment while they load
 * (`debug` enumerates every variable, `readable-stream` reads one), which would need an
 * unrestricted --allow-env; they see an empty environment instead, so the agent keeps its
 * narrow flags. Loading lazily also spares agents without MQTT the module's memory.
 *
 * Only the client class is loaded: the session opens its own TCP or TLS socket, so
 * mqtt.js's `connect()` and its transports (WebSocket, SOCKS: ws, socks, ip-address,
 * smart-buffer) would be dead weight in the bundle and in memory.
 */
import process from "node:process";

type Mqtt = { MqttClient: typeof import("mqtt").MqttClient };

/** What the environment looks like during the load; also marks a load in progress. */
const EMPTY_ENV: Readonly<Record<string, string>> = Object.freeze({});

export async function loadMqtt(): Promise<Mqtt> {
  const env = Object.getOwnPropertyDescriptor(process, "env");
  // Agents starting together: the first one swaps and restores; the others just wait
  // for the same module.
  if (env?.value === EMPTY_ENV) return await importClient();
  Object.defineProperty(process, "env", { value: EMPTY_ENV, configurable: true, writable: true });
  try {
    return await importClient();
  } finally {
    if (env) Object.defineProperty(process, "env", env);
  }
}

async function importClient(): Promise<Mqtt> {
  const client = await import("mqtt/lib/client");
  // CommonJS under Deno: the namespace's default is `module.exports`, whose own `default`
  // is the class (the .d.ts, written for ES interop, says the class is the default).
  const exports = client.default as unknown as { default: Mqtt["MqttClient"] };
  return { MqttClient: exports.default };
}
