/**
 * Loads mqtt.js on first use. Its dependencies read the environment while they load
 * (`debug` enumerates every variable, `readable-stream` reads one), which would need an
 * unrestricted --allow-env; they see an empty environment instead, so the agent keeps its
 * narrow flags. Loading lazily also spares agents without MQTT the module's memory.
 */
import process from "node:process";

type Mqtt = typeof import("mqtt");

/** What the environment looks like during the load; also marks a load in progress. */
const EMPTY_ENV: Readonly<Record<string, string>> = Object.freeze({});

export async function loadMqtt(): Promise<Mqtt> {
  const env = Object.getOwnPropertyDescriptor(process, "env");
  // Agents starting together: the first one swaps and restores; the others just wait
  // for the same module.
  if (env?.value === EMPTY_ENV) return await import("mqtt");
  Object.defineProperty(process, "env", { value: EMPTY_ENV, configurable: true, writable: true });
  try {
    return await import("mqtt");
  } finally {
    if (env) Object.defineProperty(process, "env", env);
  }
}
