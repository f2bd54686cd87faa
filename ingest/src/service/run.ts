import { describeError, isRetryable } from '@tickstream/shared';
import { backfill } from '../backfill';
import { followBlock, HeadWatcher } from '../follow';
import type { IngestDeps, IngestState } from './deps';
import { resume } from './resume';

/**
 * Ingest's main loop: resume from the ledger, backfill in ranges up to the unfinalized window, then
 * follow the head block by block with the hash chain. Returns when `signal` aborts. A retryable
 * failure that outlived its retries (RPC down, NATS refusing appends) restarts the loop from the
 * ledger tail after a pause; anything else (a reorg, until the coordinator handles them) is thrown.
 */
export async function runIngest(deps: IngestDeps, signal: AbortSignal): Promise<void> {
  const heads = new HeadWatcher(deps.client, deps.log, deps.cfg.POLL_INTERVAL_MS, deps.cfg.RPC_WS_URL);
  let pauseMs = 500;
  try {
    while (!signal.aborted) {
      const state = await resume(deps);
      try {
        await loop(deps, state, heads, signal);
      } catch (err) {
        if (!isRetryable(err) || signal.aborted) throw err;
        deps.log.error({ err: describeError(err), pauseMs }, 'ingest failed; resuming from the ledger tail');
        await new Promise((r) => setTimeout(r, pauseMs));
        pauseMs = Math.min(pauseMs * 2, 30_000);
      } finally {
        state.writer.close();
      }
    }
  } finally {
    heads.close();
  }
}

async function loop(deps: IngestDeps, state: IngestState, heads: HeadWatcher, signal: AbortSignal): Promise<void> {
  const { FINALITY_DEPTH: depth, RPC_MAX_RETRIES: retries } = deps.cfg;
  let head = await heads.head(retries);
  while (!signal.aborted) {
    const safe = head - depth;
    if (state.next <= safe && state.headers.size === 0) {
      await backfill(deps, state, state.next, safe, signal);
    } else if (state.next <= head) {
      await followBlock(deps, state, state.next);
      if (state.next > head) head = await heads.head(retries);
    } else {
      head = await heads.waitPast(state.next - 1, retries, signal);
    }
  }
}
