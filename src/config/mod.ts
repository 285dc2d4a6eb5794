/** The config: its keys and defaults, how a file is read and validated, how it is shown. */
export { loadConfigFile, parseJsonc, type ReadText, resolveMac } from "./load.ts";
export { redactConfig, secretValues } from "./redact.ts";
export {
  type Config,
  CONFIG_KEYS,
  type ConfigKey,
  DEFAULTS,
  type DesiredConfig,
  MOVING_KEYS,
  PROGRAM_KEYS,
  PROTECTED_KEYS,
  SESSION_KEYS,
  type UpgradeConfig,
} from "./schema.ts";
export { validateConfig, type Validation } from "./validate.ts";
