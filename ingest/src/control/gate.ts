/**
 * Where ingest's loop may be stopped: between two units of work (a backfill range, a followed block)
 * or while it waits for the next head. `suspend()` resolves once the loop is parked there (or is
 * waiting for a head), so a rollback can change ingest's state safely; `resume()` lets it go on.
 */
export class Gate {
  #suspended = false;
  #idle = false;
  #parked = false;
  #onParked: (() => void)[] = [];
  #onResume: (() => void)[] = [];
  #resumed: (() => void)[] = [];

  get suspended(): boolean {
    return this.#suspended;
  }

  /** The loop calls this between units; it waits while suspended. */
  async pass(): Promise<void> {
    if (!this.#suspended) return;
    this.#parked = true;
    this.#flushParked();
    await new Promise<void>((resolve) => this.#onResume.push(resolve));
    this.#parked = false;
  }

  /** The loop marks the time it spends waiting for a new head: a safe point too. */
  setIdle(idle: boolean): void {
    this.#idle = idle;
    if (idle) this.#flushParked();
  }

  /** Asks the loop to stop at its next safe point; resolves when it is there. */
  suspend(): Promise<void> {
    this.#suspended = true;
    if (this.#parked || this.#idle) return Promise.resolve();
    return new Promise((resolve) => this.#onParked.push(resolve));
  }

  resume(): void {
    this.#suspended = false;
    for (const r of this.#onResume.splice(0)) r();
    for (const f of this.#resumed) f();
  }

  /** Calls `f` on every resume (e.g. to end a wait for a head: the position may have moved back). */
  onResume(f: () => void): void {
    this.#resumed.push(f);
  }

  #flushParked(): void {
    for (const r of this.#onParked.splice(0)) r();
  }
}
