/**
 * The capabilities as their peers see them. A capability reaches another through
 * `peers.get(name)` when it needs it, never at build time: the one it gets is the one
 * running now, also after a reload restarted it.
 */
import type { Collector } from "./collect/collector.ts";
import type { HealthCapability } from "./health/capability.ts";
import type { JobService } from "./jobs/service.ts";
import type { MqttCapability } from "./mqtt/capability.ts";
import type { ReplyService } from "./replies/service.ts";
import type { SpoolCapability } from "./spool/capability.ts";
import type { UplinkCapability } from "./uplink/capability.ts";

export interface PeerMap {
  spool: SpoolCapability;
  uplink: UplinkCapability;
  collect: Collector;
  health: HealthCapability;
  replies: ReplyService;
  jobs: JobService;
  mqtt: MqttCapability;
}

export type CapabilityName = keyof PeerMap;

export interface Peers {
  /** The capability of that name, built for the running config; undefined if there is none. */
  get<K extends CapabilityName>(name: K): PeerMap[K] | undefined;
}

/** No peers: a capability built alone, in a test. */
export const NO_PEERS: Peers = { get: () => undefined };
