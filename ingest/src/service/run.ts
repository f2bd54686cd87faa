import { backfill } from '../backfill';
import { followBlock, HeadWatcher } from '../follow';
import type { IngestDeps } from './deps';
import { resume } from './resume';

/**
 * Ingest's main loop: resume from the ledger, backfill in ranges up to the unfinalized window, then
 * follow the head block by block with the hash chain. Returns when `signal` aborts; throws on errors
 * that retries cannot mend (a reorg, until the coordinator handles them; a ledger that refuses).
 */
export async function runIngest(deps: IngestDeps, signal: AbortSignal): Promise<void> {
  const state = await resume(deps);
  const { FINALITY_DEPTH: depth, POLL_INTERVAL_MS: pollMs, RPC_MAX_RETRIES: retries } = deps.cfg;
  const heads = new HeadWatcher(deps.client, deps.log, pollMs, deps.cfg.RPC_WS_URL);
  try {
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
  } finally {
    heads.close();
  }
}
