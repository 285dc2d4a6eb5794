/**
 * Monotonic counters of one agent (they survive a reload). Names are kebab-case and
 * grouped by capability: `jobs-received`, `stats-sent`, `mqtt-connects`.
 */
export class Counters {
  #values = new Map<string, number>();
  #events = 0;

  /** Adds `by` to the counter `name`. */
  inc(name: string, by = 1): void {
    this.#values.set(name, (this.#values.get(name) ?? 0) + by);
    this.#events++;
  }

  /** How many times any counter moved: unchanged means nothing happened meanwhile. */
  get events(): number {
    return this.#events;
  }

  /** The counter's value; 0 for one never counted. */
  get(name: string): number {
    return this.#values.get(name) ?? 0;
  }

  /** Every counter, including the declared ones still at zero, sorted by name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#values].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Makes counters visible at zero before anything happened. */
  declare(...names: string[]): void {
    for (const name of names) if (!this.#values.has(name)) this.#values.set(name, 0);
  }
}
