/** The config: its keys and defaults, how a file is read and validated, how it is shown. */
export { loadConfigFile, parseJsonc, type ReadText, resolveMac } from "./load.ts";
export { redactConfig, secretValues } from "./redact.ts";
export type { DefaultsOf, Field, KeyText, Owner, Schema, ValueOf, ValuesOf } from "./field.ts";
export { AGENT_KEYS } from "./keys/agent.ts";
export { API_KEYS } from "./keys/api.ts";
export { DESIRED_KEYS } from "./keys/desired.ts";
export { HEALTH_KEYS } from "./keys/health.ts";
export { JOBS_KEYS } from "./keys/jobs.ts";
export { MQTT_KEYS } from "./keys/mqtt.ts";
export { STATS_KEYS } from "./keys/stats.ts";
export { UPGRADE_KEYS } from "./keys/upgrade.ts";
export {
  type Config,
  CONFIG_KEYS,
  type ConfigKey,
  DEFAULTS,
  type DesiredConfig,
  FIELDS,
  KEY_GROUPS,
  MOVING_KEYS,
  PROGRAM_KEYS,
  PROTECTED_KEYS,
  SESSION_KEYS,
  type UpgradeConfig,
} from "./schema.ts";
export { validateConfig, type Validation } from "./validate.ts";
export { cacheOff, mqttOff } from "./predicates.ts";
