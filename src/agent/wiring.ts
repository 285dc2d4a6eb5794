/**
 * The wiring: every capability, in start order, and what each is given of the others. Each
 * capability declares what it needs (its deps); this is the one place that knows who gives
 * it, looked up on the capabilities running now at each call, so a reload that restarts one
 * is followed. The agent's two data paths read top to bottom here:
 *
 * - a sample: collect → its sink (the spool, or with `no-cache` the uplink) → the spool's
 *   segments → uplink (which uploads the spool);
 * - a job: mqtt's `sub/...` → jobs (each job to its type: command, network, sysupgrade) →
 *   replies' channel → mqtt's transport (or the REST API), on `delivery/...` and `pub/...`.
 */
import type { CapabilityContext, CapabilityName, CapabilitySpec } from "../capability.ts";
import {
  type CollectCapability,
  type CollectDeps,
  collectSpec,
  type SampleSink,
} from "../collect/mod.ts";
import { cacheOff, mqttOff } from "../config/mod.ts";
import { type DesiredCapability, type DesiredDeps, desiredSpec } from "../desired/mod.ts";
import { type HealthCapability, type HealthDeps, healthSpec } from "../health/mod.ts";
import {
  commandJobs,
  type Connectivity,
  type JobsCapability,
  type JobsDeps,
  jobsSpec,
  networkJobs,
} from "../jobs/mod.ts";
import { type MqttCapability, type MqttDeps, mqttSpec } from "../mqtt/mod.ts";
import { type RepliesCapability, type RepliesDeps, repliesSpec } from "../replies/mod.ts";
import { type SpoolCapability, spoolSpec } from "../spool/mod.ts";
import {
  type UpgradeCapability,
  type UpgradeDeps,
  upgradeJobs,
  upgradeOff,
  upgradeSpec,
} from "../upgrade/mod.ts";
import { type UplinkCapability, type UplinkDeps, uplinkSpec } from "../uplink/mod.ts";

/** Each capability's class, by name. */
export interface Running {
  /** The stats cache on disk. */
  spool: SpoolCapability;
  /** Uploads of the stats. */
  uplink: UplinkCapability;
  /** Device stats, each interval. */
  collect: CollectCapability;
  /** The connectivity watch and recovery. */
  health: HealthCapability;
  /** Job replies, kept until delivered. */
  replies: RepliesCapability;
  /** Firmware upgrades. */
  upgrade: UpgradeCapability;
  /** The jobs and their journal. */
  jobs: JobsCapability;
  /** The desired state. */
  desired: DesiredCapability;
  /** The MQTT session. */
  mqtt: MqttCapability;
}

/** The capabilities as they run now. */
export interface Live {
  /** The one of that name while it runs; undefined when it does not. */
  get<K extends CapabilityName>(name: K): Running[K] | undefined;
}

/** A capability and what it is given of the others. */
export interface Wired<D = unknown> {
  /** What it is, needs and builds. */
  spec: CapabilitySpec<D>;
  /** Its deps, over the capabilities running now. */
  deps(live: Live, ctx: CapabilityContext): D;
}

/** A spec and its deps, typed together. */
function wire<D>(spec: CapabilitySpec<D>, deps: (live: Live, ctx: CapabilityContext) => D) {
  return { spec, deps } as Wired;
}

/** The health capability's checks and recovery; without it, online is assumed. */
function connectivity(live: Live): Connectivity {
  return {
    check: () =>
      live.get("health")?.check() ??
        Promise.resolve({ online: true, details: ["health not running: assumed online"] }),
    recover: () => live.get("health")?.recover() ?? Promise.resolve(undefined),
  };
}

const online = async (live: Live) => (await connectivity(live).check()).online;

/** Where samples go: the spool, or with `no-cache` straight to the uplink. */
export function statsSink(live: Live, ctx: Pick<CapabilityContext, "config">): SampleSink {
  const sink = () => cacheOff(ctx.config) ? live.get("uplink") : live.get("spool");
  return {
    get maxBytes() {
      return sink()?.maxBytes ?? 0;
    },
    push: (sample) => sink()?.push(sample) ?? Promise.reject(new Error("no stats path")),
  };
}

/**
 * Every capability, in start order: the stats path first, the replies before the jobs that
 * send them, and MQTT last, so that jobs queued on the broker for our persistent session
 * find the jobs ready.
 */
export const CAPABILITIES: readonly Wired[] = [
  wire(spoolSpec, () => undefined),
  wire(uplinkSpec, (live): UplinkDeps => ({ spool: () => live.get("spool")?.spool })),
  wire(collectSpec, (live, ctx): CollectDeps => ({ sink: statsSink(live, ctx) })),
  wire(healthSpec, (live, ctx): HealthDeps => ({
    mqttConnected: mqttOff(ctx.config) ? undefined : () => live.get("mqtt")?.connected ?? false,
    // Samples batched in memory reach the disk before the box goes down.
    beforeReboot: async () => await live.get("spool")?.spool?.commit(),
    // Back online: the cache goes up now, not at the next upload interval.
    onOnline: () => live.get("uplink")?.trigger(),
  })),
  wire(repliesSpec, (live): RepliesDeps => ({
    transport: () => live.get("mqtt")?.replyTransport,
  })),
  wire(upgradeSpec, (live): UpgradeDeps => ({
    send: (reply, route) => live.get("replies")?.channel.send("result", reply, route),
    beforeFlash: async () => await live.get("spool")?.spool?.commit(),
    online: () => online(live),
  })),
  wire(jobsSpec, (live, ctx): JobsDeps => ({
    replies: {
      send: (kind, reply, route) => live.get("replies")?.channel.send(kind, reply, route),
    },
    types: [
      commandJobs(() => ctx.config.jobs.allow),
      networkJobs({
        connectivity: connectivity(live),
        clock: ctx.io.clock,
        allow: () => ctx.config.jobs.allow,
        windowMs: () => ctx.config.network_check_s * 1000,
      }),
      upgradeJobs({
        upgrade: () => live.get("upgrade"),
        offReason: () =>
          upgradeOff(ctx.config) ??
            "the upgrade capability is not running (ledge ctl status says why)",
        log: ctx.log.child("jobs"),
      }),
    ],
  })),
  wire(desiredSpec, (live): DesiredDeps => ({
    publish: (report) =>
      live.get("mqtt")?.publishState(report) ?? Promise.reject(new Error("no MQTT")),
    online: () => online(live),
    mqttUp: () => live.get("mqtt")?.connected ?? false,
  })),
  wire(mqttSpec, (live, ctx): MqttDeps => ({
    onJob: (payload, envelope) =>
      live.get("jobs")?.receive(payload, envelope) ??
        Promise.reject(new Error("no jobs capability")),
    onConnect: () => {
      live.get("replies")?.channel.drain();
      live.get("desired")?.onConnect();
    },
    onDesired: ctx.config.desired
      ? (payload) => live.get("desired")?.receive(payload) ?? Promise.resolve()
      : undefined,
    repliesWaiting: () => live.get("replies")?.channel.waiting ?? 0,
  })),
];
