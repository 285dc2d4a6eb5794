import { type Config, SECRET_KEYS } from "./schema.ts";

export const REDACTED_VALUE = "***";

/** The config as it may be shown: secrets that are set become `***`. */
export function redactConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (shown[key] !== undefined) shown[key] = REDACTED_VALUE;
  return shown;
}

/** Every secret value of a config, for the log's value scrubber. */
export function secretValues(config: Config): string[] {
  return SECRET_KEYS.map((key) => config[key]).filter((v): v is string => !!v);
}
