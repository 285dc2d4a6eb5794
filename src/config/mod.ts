/** The config: its keys and defaults, how a file is read and validated, how it is shown. */
export {
  type Config,
  CONFIG_KEYS,
  type ConfigKey,
  DEFAULTS,
  PROGRAM_KEYS,
  SECRET_KEYS,
} from "./schema.ts";
export { uploadInterval, validateConfig, type Validation } from "./validate.ts";
export {
  describeFsError,
  loadConfigFile,
  parseConfigText,
  parseJsonc,
  type ReadText,
  resolveMac,
} from "./load.ts";
export { redactConfig, redactUrl, secretValues } from "./redact.ts";
