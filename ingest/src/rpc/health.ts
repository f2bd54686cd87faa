import type { FailureKind } from './classify';

/** How health reacts to failures. */
export interface HealthTuning {
  /** First cool-down after a failure; doubles with each failure in a row. */
  readonly cooldownMs: number;
  /** Longest cool-down after failures. */
  readonly maxCooldownMs: number;
  /** Cool-down of a provider that answered inconsistent or malformed data; doubles with each demotion. */
  readonly demoteMs: number;
}

/** Weight of the newest sample in the latency and error-rate averages (EWMA). */
const ALPHA = 0.2;
/** Demotions lengthen the cool-down up to this many times `demoteMs`. */
const MAX_DEMOTE_FACTOR = 8;

/** The health of one provider: mutable, but no I/O (time is passed in). */
export interface Health {
  /** EWMA of answer times, ms; null before the first answer. */
  latencyMs: number | null;
  /** EWMA of failures (1) and successes (0). */
  errorRate: number;
  /** Failures since the last success. */
  inARow: number;
  /** Not chosen before this time (ms since epoch) while another provider is available. */
  coolUntil: number;
  demotions: number;
  inflight: number;
  /** The highest head it told us, or null. */
  head: number | null;
  readonly counts: Record<'requests' | 'ok' | FailureKind, number>;
}

export function newHealth(): Health {
  return {
    latencyMs: null,
    errorRate: 0,
    inARow: 0,
    coolUntil: 0,
    demotions: 0,
    inflight: 0,
    head: null,
    counts: {
      requests: 0,
      ok: 0,
      'rate-limit': 0,
      'range-too-large': 0,
      timeout: 0,
      transport: 0,
      rpc: 0,
      'bad-data': 0,
    },
  };
}

function sampleLatency(h: Health, ms: number): void {
  h.latencyMs = h.latencyMs === null ? ms : h.latencyMs + ALPHA * (ms - h.latencyMs);
}

/** An answer that passed its checks, after `latencyMs`. */
export function recordSuccess(h: Health, latencyMs: number): void {
  h.counts.ok++;
  sampleLatency(h, latencyMs);
  h.errorRate *= 1 - ALPHA;
  h.inARow = 0;
}

/**
 * A failed call. Provider faults (timeout, transport, rpc) cool it down for `cooldownMs` doubled per
 * failure in a row (up to `maxCooldownMs`); bad data demotes it (`demoteMs`, doubled per demotion, and
 * the error rate set to 1, so that it ranks last for a while after it is back); a rate limit only
 * honours the provider's Retry-After (the token bucket does the slowing); a range too large is no
 * fault of the provider.
 */
export function recordFailure(
  h: Health,
  kind: FailureKind,
  latencyMs: number,
  now: number,
  tuning: HealthTuning,
  retryAfterMs?: number,
): void {
  h.counts[kind]++;
  if (kind === 'range-too-large') return;
  if (kind === 'rate-limit') {
    if (retryAfterMs !== undefined && retryAfterMs > 0)
      h.coolUntil = Math.max(h.coolUntil, now + retryAfterMs);
    return;
  }
  sampleLatency(h, latencyMs);
  if (kind === 'bad-data') {
    h.demotions++;
    h.errorRate = 1;
    const factor = Math.min(MAX_DEMOTE_FACTOR, 2 ** (h.demotions - 1));
    h.coolUntil = Math.max(h.coolUntil, now + tuning.demoteMs * factor);
    return;
  }
  h.errorRate += ALPHA * (1 - h.errorRate);
  h.inARow++;
  const cool = Math.min(tuning.maxCooldownMs, tuning.cooldownMs * 2 ** (h.inARow - 1));
  h.coolUntil = Math.max(h.coolUntil, now + cool);
}

/**
 * Lower is better: expected latency, inflated by the error rate and by the calls already in flight
 * (so that parallel work spreads over providers), divided by the configured weight. A provider not
 * yet measured scores as fast, so that it gets measured.
 */
export function scoreOf(h: Health, weight: number): number {
  const latency = h.latencyMs ?? 0;
  return ((1 + latency) * (1 + 9 * h.errorRate) * (1 + h.inflight)) / weight;
}

/** What selection needs to know of each provider. */
export interface Candidate {
  readonly score: number;
  readonly coolUntil: number;
  /** Known to be behind the block the call is about (its last head is lower). */
  readonly behind: boolean;
}

/**
 * Pure: the order in which to try providers for one call. Excludes the ones already tried and the
 * ones cooling down; providers known to be behind the block asked about come after the others; then
 * by score. When every untried provider is cooling down and `evenCooling` is set (the first try of a
 * call), the one whose cool-down ends first is returned rather than nothing: a call is never refused
 * for want of a perfect provider, and with one provider the pool behaves like a plain client.
 *
 * @example rankProviders(cands, Date.now(), new Set(), true)[0] // the index to try first
 */
export function rankProviders(
  cands: readonly Candidate[],
  now: number,
  tried: ReadonlySet<number>,
  evenCooling: boolean,
): number[] {
  const ready: number[] = [];
  let soonest = -1;
  for (let i = 0; i < cands.length; i++) {
    if (tried.has(i)) continue;
    const c = cands[i]!;
    if (c.coolUntil <= now) ready.push(i);
    else if (soonest < 0 || c.coolUntil < cands[soonest]!.coolUntil) soonest = i;
  }
  ready.sort((a, b) => {
    const x = cands[a]!;
    const y = cands[b]!;
    return Number(x.behind) - Number(y.behind) || x.score - y.score;
  });
  if (ready.length === 0 && evenCooling && soonest >= 0) return [soonest];
  return ready;
}
