import type { Logger } from '@tickstream/shared';
import { createPublicClient, type PublicClient, webSocket } from 'viem';
import { getHeadNumber, withRetry } from '../rpc';

/**
 * Tells when the chain has a block past a given number: WebSocket `newHeads` when a WS URL is given
 * (woken at once), with polling every `pollMs` as the fallback and the only source otherwise.
 */
export class HeadWatcher {
  #latest = -1;
  #wake: (() => void) | null = null;
  #unwatch: (() => void) | null = null;
  #interrupted = false;

  constructor(
    private readonly client: PublicClient,
    private readonly log: Logger,
    private readonly pollMs: number,
    wsUrl: string | undefined,
  ) {
    if (wsUrl !== undefined) {
      const ws = createPublicClient({ transport: webSocket(wsUrl, { retryCount: 10 }) });
      // A WebSocket transport subscribes to newHeads (eth_subscribe) rather than polling.
      this.#unwatch = ws.watchBlockNumber({
        onBlockNumber: (n) => this.#saw(Number(n)),
        onError: (err) =>
          this.log.warn({ err: err.message }, 'newHeads subscription error; polling continues'),
      });
    }
  }

  /** The current head, asked of the RPC now (retries end on `signal`). */
  async head(retries: number, signal?: AbortSignal): Promise<number> {
    const n = await withRetry(this.log, 'eth_blockNumber', { retries, signal }, () =>
      getHeadNumber(this.client),
    );
    this.#saw(n);
    return this.#latest;
  }

  /** Ends a `waitPast` now (its caller's position changed, e.g. after a rollback). */
  interrupt(): void {
    this.#interrupted = true;
    this.#wake?.();
  }

  /** Resolves with the head once it is past `after`, on `interrupt()`, or on abort. */
  async waitPast(after: number, retries: number, signal: AbortSignal): Promise<number> {
    this.#interrupted = false;
    while (!signal.aborted) {
      if (this.#latest > after || this.#interrupted) return this.#latest;
      let timer: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, this.pollMs);
        onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
      });
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      this.#wake = null;
      if (!signal.aborted && this.#latest <= after) await this.head(retries);
    }
    return this.#latest;
  }

  close(): void {
    this.#unwatch?.();
  }

  #saw(n: number): void {
    if (n > this.#latest) {
      this.#latest = n;
      this.#wake?.();
    }
  }
}
