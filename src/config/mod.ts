export { type Config, CONFIG_KEYS, type ConfigKey, DEFAULTS, SECRET_KEYS } from "./schema.ts";
export { uploadInterval, validateConfig, type Validation } from "./validate.ts";
export {
  describeFsError,
  loadConfigFile,
  parseConfigText,
  type ReadText,
  resolveMac,
} from "./load.ts";
export { redactConfig, REDACTED_VALUE, secretValues } from "./redact.ts";
export {
  type CapabilityName,
  type CapabilityNeeds,
  capabilityNeeds,
  healthTarget,
  missingPermissions,
  mqttEnabled,
  type Needs,
  permissionFlags,
  PRESET_V8_FLAGS,
  presetNeeds,
  type RunContext,
} from "./permissions.ts";
