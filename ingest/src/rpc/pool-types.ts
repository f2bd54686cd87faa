import type { Logger } from '@tickstream/shared';
import type { FailureKind } from './classify';
import type { HealthTuning } from './health';

/** One provider as configured (an entry of RPC_URLS). */
export interface ProviderSpec {
  readonly url: string;
  /** Relative preference (default 1): a provider of weight 2 is chosen as if twice as fast. */
  readonly weight?: number | undefined;
  /** Calls per second it allows us (default: no limit until it rate-limits us). */
  readonly maxRps?: number | undefined;
}

export interface PoolOptions extends HealthTuning {
  /** A call with no answer after this long is a timeout (the provider cools down). */
  readonly timeoutMs: number;
  /** Hedged reads ask a second provider when the first has not answered after this long. */
  readonly hedgeMs: number;
  readonly log?: Logger;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** The provider an answer came from, as a check sees it. */
export interface ProviderView {
  readonly name: string;
  /** The highest head it told us before this answer, or null. */
  readonly head: number | null;
}

export interface RequestOptions<T> {
  /**
   * Turns the raw answer into the value. Throwing RPC_MALFORMED or RPC_INCONSISTENT blames the
   * provider that answered: it is demoted and the call goes to another provider at once. Throwing a
   * retryable RPC_ERROR counts as an ordinary provider failure (e.g. "block not found" from a node
   * that is behind). Anything else is thrown as it is.
   */
  readonly check?: (raw: unknown, from: ProviderView) => T;
  /** Names the call in errors and logs (default: the method). */
  readonly what?: string;
  /** Hedged read: ask the next best provider too when the first is slower than `hedgeMs`; first good answer wins. */
  readonly hedge?: boolean;
  /**
   * The call is about this block. Providers whose last head is lower are tried last, and a provider
   * is asked its head (eth_blockNumber) before it is asked about a block past the head it last told
   * us: one that is behind fails over like a failure instead of answering, say, no logs for blocks
   * it does not have yet.
   */
  readonly minBlock?: number;
  /**
   * The answer is the provider's head: it must not be lower than what the same provider said
   * before (RPC_INCONSISTENT, the provider is demoted), and it is remembered.
   */
  readonly headOf?: (value: T) => number;
}

/** A provider's health as the pool reports it (`RpcPool.snapshot`). */
export interface ProviderSnapshot {
  readonly name: string;
  readonly weight: number;
  readonly state: 'ready' | 'cooling' | 'demoted';
  readonly cooldownLeftMs: number;
  readonly latencyMs: number | null;
  readonly errorRate: number;
  readonly score: number;
  readonly inflight: number;
  readonly head: number | null;
  /** Current allowed calls per second; null while unlimited. */
  readonly rateLimit: number | null;
  readonly demotions: number;
  readonly counts: Readonly<Record<'requests' | 'ok' | FailureKind, number>>;
}
