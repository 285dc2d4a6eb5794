/**
 * At most `concurrency` tasks at once; up to `queue` more wait in order; beyond that a
 * task is refused at once (the caller answers BUSY), never queued without bound. The limits
 * are asked for at each decision, so a reload that changes them applies to the next job.
 */
export interface PoolLimits {
  concurrency: number;
  queue: number;
}

export class JobPool {
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(private readonly limits: () => PoolLimits) {}

  get running(): number {
    return this.#running;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether `submit` would take one more task now. */
  hasRoom(): boolean {
    const { concurrency, queue } = this.limits();
    return this.#running < concurrency || this.#waiting.length < queue;
  }

  /**
   * Runs `task` when a slot is free; false (and nothing runs) when the queue is full.
   * The task's failure is its own: the pool only counts slots.
   */
  submit(task: () => Promise<void>): boolean {
    if (!this.hasRoom()) return false;
    const start = () => {
      this.#running++;
      task().catch(() => {}).finally(() => {
        this.#running--;
        this.#next();
      });
    };
    this.#waiting.push(start);
    this.#next();
    return true;
  }

  #next(): void {
    while (this.#running < this.limits().concurrency && this.#waiting.length > 0) {
      this.#waiting.shift()!();
    }
  }
}
