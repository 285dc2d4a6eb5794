import { REDACTED } from "../log/mod.ts";
import { type Config, SECRET_KEYS } from "./schema.ts";

/** Keys that hold URLs, whose credentials and `access_token` are secrets too. */
const URL_KEYS = [
  "api_url",
  "stats_url",
  "backup_url",
  "backup_stats_url",
  "boot_url",
  "health_url",
] as const;

/**
 * A URL as it may be shown: a password in it and an `access_token` in its query become
 * `***`. Text that is not a URL is returned as it is.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   redactUrl("https://ops:hunter2@api.example/v1?access_token=t&x=1"),
 *   "https://ops:***@api.example/v1?access_token=***&x=1",
 * );
 * ```
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password) url.password = REDACTED;
  if (url.searchParams.has("access_token")) url.searchParams.set("access_token", REDACTED);
  return url.toString();
}

/**
 * The config (or some of its keys) as it may be shown: secrets that are set become `***`,
 * in URLs too.
 */
export function redactConfig(
  config: Partial<Config> | Record<string, unknown>,
): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (shown[key] != null) shown[key] = REDACTED;
  for (const key of URL_KEYS) {
    if (typeof shown[key] === "string") shown[key] = redactUrl(shown[key] as string);
  }
  return shown;
}

/** Every secret value of a config, for the log's value scrubber: URL passwords included. */
export function secretValues(config: Config): string[] {
  const passwords = URL_KEYS.map((key) => config[key]).flatMap((text) => {
    try {
      return text ? [decodeURIComponent(new URL(text).password)] : [];
    } catch {
      return [];
    }
  });
  return [...SECRET_KEYS.map((key) => config[key]), ...passwords]
    .filter((v): v is string => !!v);
}
