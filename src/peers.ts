/**
 * The capabilities as their peers see them. A capability reaches another through
 * `peers.get(name)` when it needs it, never at build time: the one it gets is the one
 * running now, also after a reload restarted it.
 */
import type { Collector } from "./collect/mod.ts";
import type { DesiredService } from "./desired/mod.ts";
import type { HealthCapability } from "./health/mod.ts";
import type { JobService } from "./jobs/mod.ts";
import type { MqttCapability } from "./mqtt/mod.ts";
import type { ReplyService } from "./replies/mod.ts";
import type { SpoolCapability } from "./spool/mod.ts";
import type { UpgradeService } from "./upgrade/mod.ts";
import type { UplinkCapability } from "./uplink/mod.ts";

/** Each capability's name and class. */
export interface PeerMap {
  /** The stats cache. */
  spool: SpoolCapability;
  /** The stats upload. */
  uplink: UplinkCapability;
  /** The collectors. */
  collect: Collector;
  /** The connectivity watch. */
  health: HealthCapability;
  /** The job replies. */
  replies: ReplyService;
  /** The jobs. */
  jobs: JobService;
  /** The MQTT session. */
  mqtt: MqttCapability;
  /** The firmware upgrades. */
  upgrade: UpgradeService;
  /** The desired state. */
  desired: DesiredService;
}

/** A capability's name. */
export type CapabilityName = keyof PeerMap;

/** How a capability finds another. */
export interface Peers {
  /** The capability of that name, built for the running config; undefined if there is none. */
  get<K extends CapabilityName>(name: K): PeerMap[K] | undefined;
}

/** No peers: a capability built alone, in a test. */
export const NO_PEERS: Peers = { get: () => undefined };
