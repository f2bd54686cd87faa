import { describeError, isTickstreamError, TickstreamError } from '@tickstream/shared';
import { TokenBucket } from './bucket';
import {
  classifyFailure,
  type FailureKind,
  isBadData,
  isUnknownBlockMessage,
  messageOf,
  rangeTooLargeError,
  unknownBlockError,
} from './classify';
import { type Health, newHealth, rankProviders, recordFailure, recordSuccess, scoreOf } from './health';
import type { PoolOptions, ProviderSnapshot, ProviderSpec, RequestOptions } from './pool-types';
import { ProviderCallError, type ProviderTransport } from './transport';

interface Provider {
  readonly name: string;
  readonly weight: number;
  readonly transport: ProviderTransport;
  readonly health: Health;
  readonly bucket: TokenBucket;
  /** Why it is cooling down, while it is. */
  coolReason: FailureKind | null;
  /** Its head being asked (before a call about a block past its last known head). */
  probing: Promise<number> | null;
}

/** A readable name that does not leak the URL's path or credentials (API keys live there). */
export function providerName(index: number, url: string): string {
  try {
    return `#${index} ${new URL(url).host}`;
  } catch {
    return `#${index}`;
  }
}

function quantityOf(raw: unknown): number {
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(raw)) {
    throw new TickstreamError('RPC_MALFORMED', `eth_blockNumber: not a hex quantity: ${String(raw)}`, {
      retryable: true,
    });
  }
  return Number(raw);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Several JSON-RPC providers of one chain behind one `request`. Each call goes to the best provider
 * by health (latency EWMA, error rate, calls in flight, weight), skipping those cooling down after
 * failures; a failure moves the call to the next provider at once (retries over time are the
 * caller's `withRetry`). Per-provider token buckets halve on rate limits. `check` runs inside the
 * pool so that a wrong answer is blamed on, and demotes, the provider that gave it.
 *
 * @example
 * const pool = new RpcPool([{ spec: { url }, transport: httpTransport(url) }], opts);
 * const n = await pool.request('eth_blockNumber', [], { hedge: true, check: parseQuantity });
 */
export class RpcPool {
  readonly #providers: Provider[];
  readonly #opts: PoolOptions;
  readonly #now: () => number;

  constructor(
    providers: readonly {
      readonly spec: ProviderSpec;
      readonly transport: ProviderTransport;
      readonly name?: string;
    }[],
    opts: PoolOptions,
  ) {
    if (providers.length === 0) throw new TickstreamError('CONFIG_INVALID', 'an RPC pool needs a provider');
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    const now = this.#now();
    this.#providers = providers.map((p, i) => ({
      name: p.name ?? providerName(i, p.spec.url),
      weight: p.spec.weight ?? 1,
      transport: p.transport,
      health: newHealth(),
      bucket: new TokenBucket(p.spec.maxRps ?? null, now),
      coolReason: null,
      probing: null,
    }));
  }

  get size(): number {
    return this.#providers.length;
  }

  /**
   * One JSON-RPC call, answered by the best available provider and checked by `check`. Throws the
   * last failure once every provider was tried; a "range too large" answer is thrown at once
   * (RPC_ERROR with `details.rangeTooLarge`), for the caller to split its question.
   */
  request<T = unknown>(method: string, params: readonly unknown[], opts: RequestOptions<T> = {}): Promise<T> {
    if (opts.hedge === true && this.#providers.length > 1) return this.#hedged(method, params, opts);
    return this.#sequential(method, params, opts);
  }

  /** Every provider's health, for logs, summaries and tests. */
  snapshot(): ProviderSnapshot[] {
    const now = this.#now();
    return this.#providers.map((p) => {
      const left = Math.max(0, p.health.coolUntil - now);
      const rate = p.bucket.rate;
      return {
        name: p.name,
        weight: p.weight,
        state: left === 0 ? 'ready' : p.coolReason === 'bad-data' ? 'demoted' : 'cooling',
        cooldownLeftMs: left,
        latencyMs: p.health.latencyMs === null ? null : Math.round(p.health.latencyMs * 10) / 10,
        errorRate: Math.round(p.health.errorRate * 1000) / 1000,
        score: Math.round(scoreOf(p.health, p.weight) * 10) / 10,
        inflight: p.health.inflight,
        head: p.health.head,
        rateLimit: rate === Number.POSITIVE_INFINITY ? null : Math.round(rate * 10) / 10,
        demotions: p.health.demotions,
        counts: { ...p.health.counts },
      };
    });
  }

  async #sequential<T>(method: string, params: readonly unknown[], opts: RequestOptions<T>): Promise<T> {
    const tried = new Set<number>();
    let last: unknown;
    for (;;) {
      const i = await this.#choose(tried, opts.minBlock, tried.size === 0);
      if (i === undefined) throw last;
      tried.add(i);
      try {
        return await this.#attempt(i, method, params, opts);
      } catch (err) {
        if (!this.#failsOver(err)) throw err;
        last = err;
      }
    }
  }

  #hedged<T>(method: string, params: readonly unknown[], opts: RequestOptions<T>): Promise<T> {
    const tried = new Set<number>();
    return new Promise<T>((resolve, reject) => {
      let busy = 0;
      let settled = false;
      let last: unknown;
      const finish = (ok: boolean, v: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) resolve(v as T);
        else reject(v);
      };
      const launch = async (first: boolean) => {
        busy++;
        const i = await this.#choose(tried, opts.minBlock, first);
        if (settled) {
          busy--;
          return;
        }
        if (i === undefined) {
          busy--;
          if (busy === 0) finish(false, last);
          return;
        }
        tried.add(i);
        try {
          finish(true, await this.#attempt(i, method, params, opts));
        } catch (err) {
          last = err;
          if (!this.#failsOver(err)) finish(false, err);
          else if (!settled) void launch(false);
        } finally {
          busy--;
        }
      };
      const timer = setTimeout(() => void launch(false), this.#opts.hedgeMs);
      void launch(true);
    });
  }

  #failsOver(err: unknown): boolean {
    if (!isTickstreamError(err)) return false;
    return err.retryable && err.details.rangeTooLarge !== true;
  }

  /** The next provider to try, once it has a token; undefined when none is left to try. */
  async #choose(tried: ReadonlySet<number>, minBlock: number | undefined, evenCooling: boolean) {
    for (;;) {
      const now = this.#now();
      const order = rankProviders(
        this.#providers.map((p) => ({
          score: scoreOf(p.health, p.weight),
          coolUntil: p.health.coolUntil,
          behind: minBlock !== undefined && p.health.head !== null && p.health.head < minBlock,
        })),
        now,
        tried,
        evenCooling,
      );
      if (order.length === 0) return undefined;
      let wait = Number.POSITIVE_INFINITY;
      for (const i of order) {
        const bucket = this.#providers[i]!.bucket;
        if (bucket.tryTake(now)) return i;
        wait = Math.min(wait, bucket.msUntilToken(now));
      }
      await sleep(Math.max(1, wait));
    }
  }

  async #attempt<T>(
    i: number,
    method: string,
    params: readonly unknown[],
    opts: RequestOptions<T>,
  ): Promise<T> {
    const p = this.#providers[i]!;
    const h = p.health;
    const what = opts.what ?? method;
    if (opts.minBlock !== undefined && (h.head === null || h.head < opts.minBlock)) {
      await this.#probeHead(i, what, opts.minBlock);
    }
    h.counts.requests++;
    h.inflight++;
    const started = this.#now();
    let raw: unknown;
    try {
      raw = await p.transport.send(method, params, this.#opts.timeoutMs);
    } catch (err) {
      h.inflight--;
      const e = err instanceof ProviderCallError ? err : new ProviderCallError(messageOf(err), {}, err);
      if ('blockHash' in (firstParam(params) ?? {}) && isUnknownBlockMessage(e.message)) {
        throw unknownBlockError(what, p.name, e); // the block is gone (a reorg): no fault of the provider
      }
      const kind = classifyFailure(e);
      this.#fail(p, kind, started, e, e.retryAfterMs);
      if (kind === 'range-too-large') throw rangeTooLargeError(what, p.name, e);
      throw new TickstreamError('RPC_ERROR', `${what} failed at ${p.name}: ${messageOf(e)}`, {
        retryable: true,
        cause: e,
        details: { provider: p.name, kind, ...(e.status === undefined ? {} : { status: e.status }) },
      });
    }
    h.inflight--;
    let value: T;
    try {
      value = opts.check === undefined ? (raw as T) : opts.check(raw, { name: p.name, head: h.head });
      if (opts.headOf !== undefined) {
        const head = opts.headOf(value);
        const before = h.head;
        h.head = head;
        if (before !== null && head < before) {
          throw new TickstreamError(
            'RPC_INCONSISTENT',
            `${what}: ${p.name} said head ${head} after it had said ${before}`,
            { retryable: true, details: { provider: p.name, head, before } },
          );
        }
      }
    } catch (err) {
      if (isBadData(err)) this.#fail(p, 'bad-data', started, err);
      else if (isTickstreamError(err, 'RPC_ERROR') && err.retryable) this.#fail(p, 'rpc', started, err);
      throw err;
    }
    recordSuccess(h, this.#now() - started);
    if (p.coolReason !== null && h.coolUntil <= this.#now()) p.coolReason = null;
    return value;
  }

  /** Asks provider `i` its head; throws a retryable RPC_ERROR (a provider failure) if it is behind `block`. */
  async #probeHead(i: number, what: string, block: number): Promise<void> {
    const p = this.#providers[i]!;
    const started = this.#now();
    // Concurrent calls share one question.
    p.probing ??= this.#attempt(i, 'eth_blockNumber', [], {
      what: `eth_blockNumber before ${what}`,
      check: quantityOf,
      headOf: (n) => n,
    }).finally(() => {
      p.probing = null;
    });
    const head = await p.probing;
    if (head >= block) return;
    const err = new TickstreamError(
      'RPC_ERROR',
      `${what}: ${p.name} is at block ${head}, behind block ${block}`,
      {
        retryable: true,
        details: { provider: p.name, kind: 'behind', head },
      },
    );
    if (p.health.coolUntil <= this.#now()) this.#fail(p, 'rpc', started, err); // once for calls sharing the probe
    throw err;
  }

  #fail(p: Provider, kind: FailureKind, started: number, err: unknown, retryAfterMs?: number): void {
    const now = this.#now();
    recordFailure(p.health, kind, now - started, now, this.#opts, retryAfterMs);
    if (kind === 'range-too-large') return;
    if (kind === 'rate-limit') {
      const before = p.bucket.rate;
      p.bucket.onRateLimited(now);
      if (p.bucket.rate !== before) {
        this.#opts.log?.warn(
          { provider: p.name, rps: Math.round(p.bucket.rate * 10) / 10 },
          'provider rate-limits us; halving its rate',
        );
      }
      return;
    }
    if (p.health.coolUntil > now) p.coolReason = kind;
    const coolMs = p.health.coolUntil - now;
    if (kind === 'bad-data') {
      this.#opts.log?.warn(
        { provider: p.name, coolMs, demotions: p.health.demotions, err: describeError(err) },
        'provider demoted: its answer failed our checks; asking another',
      );
    } else if (this.#providers.length > 1) {
      // With one provider, the caller's retry log says it all.
      this.#opts.log?.warn(
        { provider: p.name, kind, coolMs, err: describeError(err) },
        'provider failed; cooling it down',
      );
    }
  }
}

/** The first parameter of a call when it is an object (eth_getLogs' filter), else undefined. */
function firstParam(params: unknown): object | undefined {
  const first = Array.isArray(params) ? params[0] : undefined;
  return typeof first === 'object' && first !== null ? first : undefined;
}
