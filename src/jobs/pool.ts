/**
 * At most `concurrency` tasks at once; up to `queue` more wait in order; beyond that a
 * task is refused at once (the caller answers BUSY), never queued without bound.
 */
export class JobPool {
  #running = 0;
  #waiting: (() => void)[] = [];

  constructor(readonly concurrency: number, readonly queue: number) {}

  get running(): number {
    return this.#running;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Whether `submit` would take one more task now. */
  hasRoom(): boolean {
    return this.#running < this.concurrency || this.#waiting.length < this.queue;
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
        this.#waiting.shift()?.();
      });
    };
    if (this.#running < this.concurrency) start();
    else this.#waiting.push(start);
    return true;
  }
}
