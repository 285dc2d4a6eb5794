/** SocketMan's topics and session messages: pure shapes, no I/O. */
import { REDACTED } from "../log/mod.ts";

export interface JobTopics {
  /** Jobs in, subscribed at `qos`. */
  sub: string;
  /** `DELIVERED` acknowledgements out. */
  delivery: string;
  /** Results and refusals out. */
  pub: string;
  /** Connect, last will and pings out. */
  status: string;
  /** The desired state in (retained). */
  config: string;
  /** The desired state's report out (retained). */
  state: string;
}

/**
 * The topics of one device; `mac` exactly as the config writes it.
 *
 * ```ts
 * jobTopics("t", "k", "AA-BB").sub; // "sub/t/k/AA-BB"
 * ```
 */
export function jobTopics(topic: string, key: string, mac: string): JobTopics {
  const tail = `${topic}/${key}/${mac}`;
  return {
    sub: `sub/${tail}`,
    delivery: `delivery/${tail}`,
    pub: `pub/${tail}`,
    status: `status/${tail}`,
    config: `config/${tail}`,
    state: `state/${tail}`,
  };
}

/** A topic as it may be logged or shown: the `key` level becomes `***`. */
export function redactTopic(topic: string): string {
  const levels = topic.split("/");
  if (levels.length >= 4) levels[levels.length - 2] = REDACTED;
  return levels.join("/");
}

/** Stable across restarts, so the broker keeps our persistent session. */
export function clientIdFor(mac: string): string {
  return `ledge-${mac}`;
}

/** The CONNECT message (`online: true`) and the last will (`online: false`). */
export function presenceEvent(app: string, clientId: string, online: boolean, timestampS: number) {
  return {
    app,
    timestamp: timestampS,
    event_type: "CONNECT",
    meta: { online: online ? "1" : "0", client_id: clientId },
  };
}

export function pingEvent(app: string, timestampS: number) {
  return { timestamp: timestampS, app, event_type: "PING" };
}
