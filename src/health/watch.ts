/**
 * The connectivity verdict as a pure function of the previous state, the time and one
 * round of check results: hysteresis against one lost packet, transitions with a cause.
 */
import type { ProbeResult } from "../io/mod.ts";

export type Health = "unknown" | "online" | "offline";

/** One round of checks; a check that did not run is `undefined`. */
export interface CheckRound {
  /** Monotonic ms when the round finished. */
  at: number;
  /** A default route exists; `undefined` when /proc/net/route cannot be read. */
  route: boolean | undefined;
  tcp?: ProbeResult & { target: string };
  dns?: ProbeResult & { host: string };
  /** The MQTT session is open; `undefined` when no session is wired. */
  mqtt: boolean | undefined;
}

export interface WatchState {
  health: Health;
  /** Monotonic ms of the last transition (or of the start). */
  since: number;
  /** Consecutive failed rounds. */
  failedRounds: number;
  /** Monotonic ms of the first failed round of the current streak: when the outage began. */
  failingSince?: number;
  cause: string;
}

export interface Transition {
  from: Health;
  to: "online" | "offline";
  cause: string;
}

/** Offline is declared after this many failed rounds in a row (no route: at once). */
export const FAILED_ROUNDS_FOR_OFFLINE = 3;
export const OFFLINE_CHECK_S = 5;

export function initialWatch(now: number): WatchState {
  return { health: "unknown", since: now, failedRounds: 0, cause: "starting" };
}

/** Online = the TCP probe or an open MQTT session succeeds; no default route = offline. */
export function roundVerdict(round: CheckRound): { ok: boolean; hard: boolean; cause: string } {
  if (round.route === false) return { ok: false, hard: true, cause: "no default route" };
  if (round.tcp?.ok) return { ok: true, hard: false, cause: `tcp ${round.tcp.target} ok` };
  if (round.mqtt) return { ok: true, hard: false, cause: "mqtt session open" };
  // Nothing to probe (no health_url, no broker): a route is all the evidence there is, and
  // the ladder must not reboot a box for lack of a target.
  if (!round.tcp && round.mqtt === undefined) {
    return { ok: true, hard: false, cause: "default route (no probe target)" };
  }
  const tcp = round.tcp
    ? `tcp ${round.tcp.target} failed${round.tcp.error ? `: ${round.tcp.error}` : ""}`
    : "no tcp target";
  return { ok: false, hard: false, cause: round.mqtt === false ? `${tcp}, mqtt down` : tcp };
}

/** The next state after one round, and the transition it causes, if any. */
export function observe(
  state: WatchState,
  round: CheckRound,
): { state: WatchState; transition?: Transition } {
  const verdict = roundVerdict(round);
  if (verdict.ok) {
    const next: WatchState = {
      health: "online",
      since: state.since,
      failedRounds: 0,
      cause: verdict.cause,
    };
    if (state.health === "online") return { state: next };
    next.since = round.at;
    return { state: next, transition: { from: state.health, to: "online", cause: verdict.cause } };
  }
  const failedRounds = state.failedRounds + 1;
  const failingSince = state.failingSince ?? round.at;
  const next: WatchState = { ...state, failedRounds, failingSince, cause: verdict.cause };
  if (state.health === "offline") return { state: next };
  if (!verdict.hard && failedRounds < FAILED_ROUNDS_FOR_OFFLINE) return { state: next };
  const cause = verdict.hard ? verdict.cause : `${verdict.cause} (${failedRounds} rounds)`;
  return {
    state: { ...next, health: "offline", since: round.at, cause },
    transition: { from: state.health, to: "offline", cause },
  };
}

/** Milliseconds until the next round: `monitor` s while online, 5 s otherwise. */
export function roundInterval(state: WatchState, monitorS: number): number {
  return (state.health === "online" && state.failedRounds === 0 ? monitorS : OFFLINE_CHECK_S) *
    1000;
}
