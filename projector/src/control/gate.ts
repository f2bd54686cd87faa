/**
 * Where a partition's loop may be stopped: between two batches, with its feed closed. `suspend()`
 * resolves once the loop is parked there (its current batch committed and acked), so a rewind can
 * change the partition safely; `resume()` lets it go on.
 *
 * @example
 * // the loop
 * await gate.pass();
 * // the control plane
 * await gate.suspend(); // parked
 * gate.resume();
 */
export class Gate {
  #suspended = false;
  #parked = false;
  #onParked: (() => void)[] = [];
  #onResume: (() => void)[] = [];
  #released = false;

  get suspended(): boolean {
    return this.#suspended;
  }

  get parked(): boolean {
    return this.#parked;
  }

  /** The loop calls this at its safe point; it waits while suspended (or until `interrupt`). */
  async pass(): Promise<void> {
    if (!this.#suspended) return;
    this.#parked = true;
    for (const r of this.#onParked.splice(0)) r();
    await new Promise<void>((resolve) => this.#onResume.push(resolve));
    this.#parked = false;
  }

  /** Lets a parked loop go on while still suspended (it is stopping for good). */
  interrupt(): void {
    for (const r of this.#onResume.splice(0)) r();
  }

  /** Asks the loop to stop at its next safe point; resolves when it is there. */
  suspend(): Promise<void> {
    this.#suspended = true;
    if (this.#parked || this.#released) return Promise.resolve();
    return new Promise((resolve) => this.#onParked.push(resolve));
  }

  resume(): void {
    this.#suspended = false;
    for (const r of this.#onResume.splice(0)) r();
  }

  /** The loop ended for good (the process stops): whoever waits for it to park may go on. */
  release(): void {
    this.#released = true; // a later `suspend` (a runner stopped in the meantime) resolves at once
    for (const r of this.#onParked.splice(0)) r();
  }
}
