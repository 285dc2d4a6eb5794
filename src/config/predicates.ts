/**
 * What a config turns on and off, each decided here once: every part that depends on it
 * (the capability's own spec, the wiring that picks where samples go, health's checks) asks
 * the same question.
 */
import type { Config } from "./schema.ts";

/**
 * Why there is no MQTT session for this config, or undefined when there is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(mqttOff({ disable_mqtt: false, mqtt_host: undefined }), "no mqtt_host");
 * ```
 */
export function mqttOff(config: Pick<Config, "disable_mqtt" | "mqtt_host">): string | undefined {
  if (config.disable_mqtt) return "disable_mqtt is set";
  if (!config.mqtt_host) return "no mqtt_host";
  return undefined;
}

/**
 * Why samples are not cached on disk (`no-cache`: each is POSTed on its own), or undefined
 * when they go through the cache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(cacheOff({ "no-cache": true }), "no-cache is set");
 * ```
 */
export function cacheOff(config: Pick<Config, "no-cache">): string | undefined {
  return config["no-cache"] ? "no-cache is set" : undefined;
}
