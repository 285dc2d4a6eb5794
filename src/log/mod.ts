/** The logger (text or JSON lines, secrets redacted), escaping of untrusted text, throttling. */
export { escapeControls, safeJson } from "./escape.ts";
export {
  LOG_LEVELS,
  LogCore,
  type LogFields,
  type LogFormat,
  Logger,
  type LogLevel,
  type LogSink,
  REDACTED,
  stderrLogger,
} from "./logger.ts";
export { LogThrottle } from "./throttle.ts";
