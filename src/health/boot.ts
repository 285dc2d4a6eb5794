/**
 * What health does once per agent: `boot_cmd` at start, and a GET of `boot_url` once first
 * online (retried until 2xx; its answer is logged, never executed). Their counters are the
 * agent's, so a reload that rebuilds health does not run them again.
 */
import type { CapabilityContext } from "../capability.ts";
import { type BoundedBackoff, boundedJitterDelay } from "../backoff.ts";
import { apiUrl, type ExecResult, readCapped, saidBy } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";

const BOOT_URL_BACKOFF: BoundedBackoff = { baseMs: 5_000, maxMs: 300_000, jitter: 0.2 };
const BOOT_URL_TIMEOUT_MS = 30_000;
const BOOT_URL_ANSWER_MAX = 64 * 1024;
/** The part of an answer or an output that goes into the log. */
export const ANSWER_LOG_MAX = 200;

/** One line for a program's end: info when it exited 0, else warn. */
export function logResult(log: Logger, what: string, result: ExecResult): void {
  const fields = {
    exit: result.exitCode,
    ms: Math.round(result.durationMs),
    timed_out: result.timedOut || undefined,
    error: result.error,
    output: saidBy(result).slice(-ANSWER_LOG_MAX) || undefined,
  };
  if (result.exitCode === 0) log.info(`${what} done`, fields);
  else log.warn(`${what} failed`, fields);
}

/** Runs `boot_cmd` through /bin/sh (the operator's own command, from the config file). */
export async function runBootCmd(
  ctx: CapabilityContext,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { boot_cmd, job_timeout, job_output_max } = ctx.config;
  ctx.counters.inc("boot-cmd-runs");
  const result = await ctx.io.exec.run({
    argv: ["/bin/sh", "-c", boot_cmd!],
    timeoutMs: job_timeout * 1000,
    outputMax: job_output_max,
    signal,
  });
  logResult(log, "boot_cmd", result);
}

/** GETs `boot_url` until it answers 2xx, backing off between tries. */
export async function callBootUrl(
  ctx: CapabilityContext,
  log: Logger,
  signal: AbortSignal,
  random: () => number,
): Promise<void> {
  const { config, mac, io } = ctx;
  const target = apiUrl(config.boot_url!, { token: config.token, mac });
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const response = await io.net.fetch(target, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(BOOT_URL_TIMEOUT_MS)]),
      });
      const body = await readCapped(response, BOOT_URL_ANSWER_MAX);
      const answer = body === undefined ? "(answer too large)" : body.slice(0, ANSWER_LOG_MAX);
      if (response.ok) {
        ctx.counters.inc("boot-url-ok");
        log.info("boot_url answered", { status: response.status, answer });
        return;
      }
      log.warn("boot_url refused", { status: response.status, answer });
    } catch (error) {
      if (signal.aborted) return;
      log.warn("boot_url failed", { error });
    }
    const delay = boundedJitterDelay(attempt, BOOT_URL_BACKOFF, random);
    await io.clock.sleep(delay, signal).catch(() => {});
  }
}
