/**
 * The `collect` capability: every `monitor` seconds (plus up to 10 % jitter) it reads every
 * source under a deadline, assembles a sample and pushes it to the sink. Collections never
 * overlap: a request made while one runs gets that one's sample.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { notFound } from "../control/mod.ts";
import { deadline, TIMED_OUT } from "../io/mod.ts";
import { granted, missingPermissions, needs } from "../permissions.ts";
import type { Logger } from "../log/mod.ts";
import { assembleSample } from "./assemble.ts";
import { boundSample } from "./bound.ts";
import type { Sample, SampleSink } from "./sink.ts";
import { SampleIds } from "./sample_id.ts";
import type { DhcpLease, Station } from "./sample.ts";
import { type Part, type Source, SourceUnavailable, type SystemInfo } from "./source.ts";
import { defaultSources } from "./sources.ts";
import { KernelFs, type SourceFs } from "../io/mod.ts";
import { joinStations } from "./station_list.ts";

export const COLLECT_COUNTERS = [
  "stats-collected",
  "stats-dropped",
  "collect-lines-skipped",
  "collect-source-errors",
  "collect-source-timeouts",
] as const;

const DEFAULT_DEADLINE_MS = 5_000;
const JITTER = 0.1;

export interface CollectOptions {
  /** Default: the sources the config asks for (`defaultSources`). */
  sources?: Source[];
  /** Per-source deadline; the sample is sent without a source that misses it. */
  deadlineMs?: number;
  /** Default: Deno. */
  system?: SystemInfo;
  /** In [0, 1): the jitter's draw. Default Math.random. */
  random?: () => number;
  /** Whether this process holds a permission. Default: asks Deno.permissions. */
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
  /** Whether the uplink is up, for `device.online`; omitted when unknown. */
  online?: () => boolean | undefined;
}

/** One collection: the sample, and how much of it could be read. */
export interface Collection {
  /** The assembled, bounded sample. */
  sample: Sample;
  /** How many sources gave their part. */
  read: number;
}

type Outcome =
  | { ok: true; part: Part }
  | { ok: false; kind: "missing" | "permission" | "timeout" | "error"; message: string };

/** The `collect` capability: every `monitor` s, its sources in parallel, each within its deadline, into one sample handed to the sink. */
export class CollectCapability implements Capability {
  readonly name = "collect";
  #ctx: CapabilityContext;
  #log: Logger;
  #sources: Source[];
  #options: CollectOptions;
  #ids: SampleIds;
  #last: Sample | undefined;
  #inFlight: Promise<Collection> | undefined;
  /** Per source, the failure last logged: each is logged once until the source recovers. */
  #reported = new Map<string, string>();
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #collected = 0;
  #fs: KernelFs;

  /** Builds the sources of the config (or `options.sources`); nothing runs before `start()`. */
  constructor(
    ctx: CapabilityContext,
    private readonly sink: SampleSink,
    options: CollectOptions = {},
  ) {
    this.#ctx = ctx;
    this.#log = ctx.log.child("collect");
    this.#options = options;
    this.#sources = options.sources ?? defaultSources(ctx.config);
    this.#ids = new SampleIds(() => ctx.io.clock.now());
    this.#fs = new KernelFs(ctx.io.fs, ctx.io.exec);
    ctx.counters.declare(...COLLECT_COUNTERS);
    this.#registerCommands();
  }

  /** The newest sample, if any was collected. */
  get last(): Sample | undefined {
    return this.#last;
  }

  start(): Promise<void> {
    this.#loop = this.#run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stopping.abort(new Error("collector stopped"));
    await this.#loop;
    await this.#inFlight?.catch(() => {});
  }

  state(): string {
    return `${this.#collected} samples, every ${this.#ctx.config.monitor} s`;
  }

  /** Collects one sample now and pushes it to the sink; joins a collection already running. */
  collect(): Promise<Collection> {
    this.#inFlight ??= this.#collectOnce().finally(() => this.#inFlight = undefined);
    return this.#inFlight;
  }

  async #run(): Promise<void> {
    const { clock } = this.#ctx.io;
    const random = this.#options.random ?? Math.random;
    while (!this.#stopping.signal.aborted) {
      const started = clock.monotonic();
      try {
        await this.collect();
      } catch (error) {
        this.#log.error("collection failed", { error });
      }
      const interval = this.#ctx.config.monitor * 1000 * (1 + JITTER * random());
      const elapsed = clock.monotonic() - started;
      try {
        await clock.sleep(Math.max(0, interval - elapsed), this.#stopping.signal);
      } catch {
        return; // stopped
      }
    }
  }

  async #collectOnce(): Promise<Collection> {
    const outcomes = await Promise.all(this.#sources.map((source) => this.#read(source)));
    const parts: Part[] = [];
    const errors: Record<string, string> = {};
    outcomes.forEach((outcome, i) => {
      const source = this.#sources[i].name;
      if (outcome.ok) {
        parts.push(outcome.part);
        if (outcome.part.degraded) {
          errors[source] = outcome.part.degraded;
          this.#reportOnce(source, "degraded", outcome.part.degraded);
        } else if (this.#reported.delete(source)) {
          this.#log.info("source readable again", { source });
        }
        return;
      }
      if (outcome.kind === "timeout" || outcome.kind === "error") errors[source] = outcome.message;
      this.#reportOnce(source, outcome.kind, outcome.message);
    });
    const { clock } = this.#ctx.io;
    const sample = assembleSample({
      id: this.#ids.next(),
      mac: this.#ctx.mac,
      createdAt: Math.floor(clock.now() / 1000),
      online: this.#options.online?.(),
      errors,
    }, parts);
    this.#last = sample;
    this.#collected++;
    this.#ctx.counters.inc("stats-collected");
    try {
      await this.sink.push(boundSample(sample, this.sink.maxBytes));
    } catch (error) {
      this.#ctx.counters.inc("stats-dropped");
      this.#reportOnce("sink", "error", error instanceof Error ? error.message : String(error));
    }
    return { sample, read: parts.length };
  }

  #reportOnce(source: string, kind: string, message: string): void {
    const key = `${kind}: ${message}`;
    if (this.#reported.get(source) === key) return;
    this.#reported.set(source, key);
    const fields = { source, reason: message };
    if (kind === "missing") this.#log.info("source absent, its part is omitted", fields);
    else if (kind === "permission") this.#log.warn("source omitted: permission missing", fields);
    else if (kind === "degraded") this.#log.warn("source read in part", fields);
    else this.#log.warn(`source ${kind === "timeout" ? "timed out" : "failed"}`, fields);
  }

  async #read(source: Source): Promise<Outcome> {
    const allowed = this.#options.allowed ?? granted;
    const denied = missingPermissions({ flags: needs(source.needs) }, allowed);
    if (denied.length > 0) return { ok: false, kind: "permission", message: denied.join(" ") };
    const deadlineMs = this.#options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    // Aborted at the deadline too: a source must stop reading, not only be left behind.
    const cutoff = new AbortController();
    const signal = AbortSignal.any([cutoff.signal, this.#stopping.signal]);
    const { counters, io } = this.#ctx;
    const reading = Promise.resolve().then(() =>
      source.read({
        fs: withSignal(this.#fs, signal),
        exec: io.exec,
        signal,
        deadlineMs,
        system: this.#options.system ?? Deno,
        granted: allowed,
        skipped: (count) => counters.inc("collect-lines-skipped", count),
      })
    );
    reading.catch(() => {}); // a source cut off at its deadline may still fail later
    try {
      const result = await deadline(io.clock, deadlineMs, reading, this.#stopping.signal);
      if (result === TIMED_OUT) {
        counters.inc("collect-source-timeouts");
        return { ok: false, kind: "timeout", message: `no answer within ${deadlineMs} ms` };
      }
      return { ok: true, part: result };
    } catch (error) {
      return classify(error, counters.inc.bind(counters));
    } finally {
      cutoff.abort();
    }
  }

  #registerCommands(): void {
    const { commands } = this.#ctx;
    const lastOrNow = async () => this.#last ?? (await this.collect()).sample;
    commands.register({
      name: "stats",
      description: "the last sample collected",
      capability: "collect",
      run: () => {
        if (!this.#last) throw notFound("sample");
        return this.#last;
      },
    });
    commands.register({
      name: "collect",
      description: "collect a sample now and return it",
      capability: "collect",
      run: async () => (await this.collect()).sample,
    });
    commands.register({
      name: "interfaces",
      description: "network interfaces with addresses and counters (last sample)",
      capability: "collect",
      run: async () => (await lastOrNow()).interfaces ?? [],
    });
    commands.register({
      name: "stations",
      description: "DHCP leases joined with wireless stations by MAC",
      capability: "collect",
      run: async () => {
        const sample = await lastOrNow();
        return joinStations(
          (sample.dhcp ?? []) as DhcpLease[],
          (sample.stations ?? []) as Station[],
        );
      },
    });
  }
}

/** Every read of a source under its deadline: aborted, a read stops (and kills its program). */
function withSignal(fs: SourceFs, signal: AbortSignal): SourceFs {
  return {
    readTextFile: (path, options) => fs.readTextFile(path, { ...options, signal }),
    readDir: (path) => fs.readDir(path),
    readMany: (paths, options) => fs.readMany(paths, { ...options, signal }),
  };
}

function classify(error: unknown, inc: (name: string) => void): Outcome {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SourceUnavailable || error instanceof Deno.errors.NotFound) {
    return { ok: false, kind: "missing", message };
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return { ok: false, kind: "permission", message };
  }
  inc("collect-source-errors");
  return { ok: false, kind: "error", message };
}
