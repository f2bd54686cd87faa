/** A rate no lower than this: a provider that rate-limits us is slowed down, never stopped. */
const MIN_RATE = 0.5;
/** After a cut, the rate grows back by this fraction of itself per second (about ×2 in 14 s). */
const RECOVERY_PER_SEC = 0.05;
/** Two rate-limit answers closer than this are one event (concurrent calls all see the same 429). */
const CUT_SPACING_MS = 1_000;

/**
 * Pure (time is passed in): the adaptive token bucket of one provider. It starts at the configured
 * `maxRps` (no limit when null); every rate-limit answer halves the rate (once per second at most),
 * and the rate then recovers slowly, by 5 % a second, up to the configured ceiling. An unlimited
 * provider that rate-limits us gets a rate of half what it was just sent. Holds at most one second
 * of tokens, so a recovered provider does not receive a burst.
 *
 * @example
 * const b = new TokenBucket(10, now);
 * if (b.tryTake(now)) send(); else await sleep(b.msUntilToken(now));
 */
export class TokenBucket {
  /** Tokens per second; Infinity while unlimited. */
  #rate: number;
  #tokens: number;
  #refilledAt: number;
  #cutAt = Number.NEGATIVE_INFINITY;
  /** Calls taken in the current and the previous second: the rate an unlimited bucket was sending. */
  #windowStart: number;
  #windowCount = 0;
  #lastWindowCount = 0;

  constructor(
    private readonly ceiling: number | null,
    now: number,
  ) {
    this.#rate = ceiling ?? Number.POSITIVE_INFINITY;
    this.#tokens = Math.max(1, ceiling ?? 1);
    this.#refilledAt = now;
    this.#windowStart = now;
  }

  /** The current rate in calls per second (Infinity: no limit). */
  get rate(): number {
    return this.#rate;
  }

  /** Takes a token if one is there. */
  tryTake(now: number): boolean {
    this.#advance(now);
    if (this.#rate !== Number.POSITIVE_INFINITY) {
      if (this.#tokens < 1) return false;
      this.#tokens -= 1;
    }
    this.#windowCount++;
    return true;
  }

  /** How long until a token is there (0: now). */
  msUntilToken(now: number): number {
    this.#advance(now);
    if (this.#rate === Number.POSITIVE_INFINITY || this.#tokens >= 1) return 0;
    return Math.ceil((1000 * (1 - this.#tokens)) / this.#rate);
  }

  /** The provider said "rate limited": halve the rate. */
  onRateLimited(now: number): void {
    this.#advance(now);
    if (now - this.#cutAt < CUT_SPACING_MS) return;
    this.#cutAt = now;
    const sending =
      this.#rate === Number.POSITIVE_INFINITY
        ? Math.max(this.#lastWindowCount, this.#windowCount, 2 * MIN_RATE)
        : this.#rate;
    this.#rate = Math.max(MIN_RATE, sending / 2);
    this.#tokens = Math.min(this.#tokens, 0);
  }

  #advance(now: number): void {
    if (now - this.#windowStart >= 1_000) {
      this.#lastWindowCount = now - this.#windowStart >= 2_000 ? 0 : this.#windowCount;
      this.#windowCount = 0;
      this.#windowStart = now;
    }
    const secs = Math.max(0, (now - this.#refilledAt) / 1000);
    this.#refilledAt = now;
    if (this.#rate === Number.POSITIVE_INFINITY || secs === 0) return;
    const ceiling = this.ceiling ?? Number.POSITIVE_INFINITY;
    // Recovery: continuous growth by RECOVERY_PER_SEC of itself per second, up to the ceiling.
    const recovered = this.#rate * (1 + RECOVERY_PER_SEC) ** secs;
    const rate = Math.min(ceiling, recovered);
    this.#tokens = Math.min(Math.max(1, rate), this.#tokens + secs * ((this.#rate + rate) / 2));
    this.#rate = rate;
  }
}
