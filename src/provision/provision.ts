/**
 * Provisioning (`-b URL`, SocketMan's init server): GET the config for this device until
 * a valid one arrives, then write it atomically with mode 0600. An answer is only ever
 * parsed and validated as a config, never executed; an invalid one never reaches the disk.
 */
import { type BoundedBackoff, boundedJitterDelay } from "../backoff.ts";
import { type Clock, type Net, readCapped } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  type Config,
  DEFAULTS,
  parseJsonc,
  PROTECTED_KEYS,
  validateConfig,
} from "../config/mod.ts";

/** Who is asking: SocketMan's query `mac`, `machine` (model) and `firmware`. */
export interface DeviceIdentity {
  /** The MAC, if one is known yet. */
  mac: string | undefined;
  /** The board's model. */
  machine: string;
  /** The firmware's name and version. */
  firmware: string;
}

/** What provisioning uses; tests pass fakes. */
export interface ProvisionDeps {
  /** HTTP to the init server. */
  fetch: Net["fetch"];
  /** Paces the retries. */
  clock: Clock;
  /** Where refusals and retries are logged. */
  log: Logger;
  /** Writes the accepted config text (atomically, mode 0600). */
  write: (text: string) => Promise<void>;
  /** The valid config already on the box: what runs programs is kept from it. */
  local?: Config;
  /** Jitter of the retry delay; Math.random by default. */
  random?: () => number;
}

/** An accepted config: its text as written, and the warnings about what was kept local. */
export type Provisioned = { config: Config; text: string; warnings: string[] };
export type Answer = { ok: true; provisioned: Provisioned } | { ok: false; reasons: string[] };

export const PROVISION_BACKOFF: BoundedBackoff = { baseMs: 15_000, maxMs: 300_000, jitter: 0.2 };
/** A config is a few KiB; anything far larger is not one. */
export const MAX_ANSWER_BYTES = 256 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

/** `URL?mac=..&machine=..&firmware=..`, keeping any query the operator put in the URL. */
export function provisionUrl(url: string, device: DeviceIdentity): URL {
  const target = new URL(url);
  if (device.mac) target.searchParams.set("mac", device.mac);
  target.searchParams.set("machine", device.machine);
  target.searchParams.set("firmware", device.firmware);
  return target;
}

/**
 * Judges one answer: 200/201 with a valid config, or the reasons it is refused. What
 * protects the box (`PROTECTED_KEYS`: what runs, `job_secret`, the control socket's group,
 * certificate checks, every path) is never taken from the network, nor dropped by an answer
 * that leaves it out: those keys keep the values of `local`, the config on the box (unset
 * without one), and one warning names the keys the answer tried to change.
 */
export function judgeAnswer(status: number, body: string, local?: Config): Answer {
  if (status !== 200 && status !== 201) return { ok: false, reasons: [`HTTP ${status}`] };
  if (body.trim() === "") return { ok: false, reasons: ["empty answer"] };
  const parsed = parseJsonc(body);
  if (!parsed.ok) return { ok: false, reasons: parsed.errors };
  const first = validateConfig(parsed.value);
  if (!first.ok) return { ok: false, reasons: first.errors };
  const raw = { ...(parsed.value as Record<string, unknown>) };
  const ignored: string[] = [];
  for (const key of PROTECTED_KEYS) {
    const kept = local?.[key];
    const fallback = (DEFAULTS as Partial<Config>)[key];
    if (JSON.stringify(first.config[key]) === JSON.stringify(kept ?? fallback)) continue;
    ignored.push(key);
    if (kept === undefined) delete raw[key];
    else raw[key] = kept;
  }
  if (ignored.length === 0) {
    return {
      ok: true,
      provisioned: { config: first.config, text: body, warnings: first.warnings },
    };
  }
  const text = JSON.stringify(raw, null, 2) + "\n";
  const final = validateConfig(raw);
  if (!final.ok) return { ok: false, reasons: final.errors };
  const warnings = [
    ...final.warnings,
    `${ignored.join(", ")} from the init server ignored: the box's own values are kept ` +
    "(provisioning never sets what runs, who may, or where files are)",
  ];
  return { ok: true, provisioned: { config: final.config, text, warnings } };
}

/** One request; a network error or a refusal comes back as reasons. */
export async function askOnce(
  target: URL,
  deps: ProvisionDeps,
  signal?: AbortSignal,
): Promise<Answer> {
  try {
    const response = await deps.fetch(target, {
      signal: AbortSignal.any([
        AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(signal ? [signal] : []),
      ]),
      headers: { accept: "application/json" },
    });
    const body = await readCapped(response, MAX_ANSWER_BYTES);
    if (body === undefined) {
      return { ok: false, reasons: [`answer larger than ${MAX_ANSWER_BYTES} bytes`] };
    }
    return judgeAnswer(response.status, body, deps.local);
  } catch (error) {
    return { ok: false, reasons: [error instanceof Error ? error.message : String(error)] };
  }
}

/**
 * Asks until a valid config arrives, writes it and returns it; `undefined` if `signal`
 * aborts first. A write failure is retried too: the agent must not start on a config it
 * could not keep.
 */
export async function provision(
  url: string,
  device: DeviceIdentity,
  deps: ProvisionDeps,
  signal?: AbortSignal,
): Promise<Provisioned | undefined> {
  const log = deps.log.child("provision");
  const target = provisionUrl(url, device);
  if (!device.mac) log.warn("no MAC known (mac_file unreadable): asking without mac");
  for (let attempt = 0; !signal?.aborted; attempt++) {
    const answer = await askOnce(target, deps, signal);
    if (signal?.aborted) return undefined;
    if (answer.ok) {
      try {
        await deps.write(answer.provisioned.text);
        log.info("config provisioned", { url: target.origin + target.pathname });
        for (const warning of answer.provisioned.warnings) log.warn(`config: ${warning}`);
        return answer.provisioned;
      } catch (error) {
        log.error("cannot write the provisioned config", { error });
      }
    } else {
      log.warn("provisioning answer refused", { reasons: answer.reasons.join("; "), attempt });
    }
    const delay = boundedJitterDelay(attempt, PROVISION_BACKOFF, deps.random ?? Math.random);
    await deps.clock.sleep(delay, signal).catch(() => {});
  }
  return undefined;
}

export const MODEL_FILE = "/tmp/sysinfo/model";
export const FIRMWARE_FILE = "/etc/openwrt_version";

/** The model and firmware as OpenWRT reports them; "unknown" where it does not. */
export async function readDeviceIdentity(
  readText: (path: string) => Promise<string>,
  mac: string | undefined,
): Promise<DeviceIdentity> {
  const first = async (path: string) => {
    try {
      return (await readText(path)).trim().split("\n")[0].trim() || "unknown";
    } catch {
      return "unknown";
    }
  };
  return {
    mac,
    machine: await first(MODEL_FILE),
    firmware: await first(FIRMWARE_FILE),
  };
}
