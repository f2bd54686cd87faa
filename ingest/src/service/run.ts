import { describeError, isRetryable, isTickstreamError, type TickstreamError } from '@tickstream/shared';
import { backfill } from '../backfill';
import { findCommonAncestor, IngestControl } from '../control';
import { fetchHeader, followBlock, HeadWatcher } from '../follow';
import type { IngestDeps, IngestState } from './deps';
import { resume } from './resume';
import { catchingUp, staticWatchRequests, takeWatchRequests, watchStep } from './watch';

/**
 * Ingest's main loop: resume from the ledger, backfill in ranges up to the unfinalized window, then
 * follow the head block by block with the hash chain. Returns when `deps.signal` aborts (without one,
 * it runs until it fails).
 *
 * With the control plane (CONTROL_PLANE=etcd), a reorg is walked back to the common ancestor and
 * reported to the coordinator; the loop then waits at its gate while the coordinator suspends, rolls
 * back (ingest appends the rollback entries) and restores. A reorg deeper than FINALITY_DEPTH halts
 * ingest for an operator. Without it, a reorg stops ingest with REORG_DETECTED naming the block.
 * A retryable failure that outlived its retries (RPC down, NATS refusing appends) restarts the loop
 * from the ledger tail after a pause; anything else is thrown.
 */
export async function runIngest(deps: IngestDeps): Promise<void> {
  const signal = deps.signal ?? new AbortController().signal;
  const heads = new HeadWatcher(deps.client, deps.log, deps.cfg.POLL_INTERVAL_MS, deps.cfg.RPC_WS_URL);
  const control = await IngestControl.start(deps);
  control?.gate.onResume(() => heads.interrupt());
  control?.watches?.onChange(() => heads.interrupt());
  let pauseMs = 500;
  try {
    while (!signal.aborted) {
      const state = await resume(deps);
      control?.attach(state);
      try {
        await loop(deps, state, heads, control, signal);
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
    await control?.close();
  }
}

async function loop(
  deps: IngestDeps,
  state: IngestState,
  heads: HeadWatcher,
  control: IngestControl | null,
  signal: AbortSignal,
): Promise<void> {
  const { FINALITY_DEPTH: depth, RPC_MAX_RETRIES: retries } = deps.cfg;
  let head = await heads.head(retries, signal);
  const stopped = aborted(signal);
  const watches = control?.watches ?? null;
  const configured = staticWatchRequests(deps.cfg.WATCH_ADDRESSES);
  if (configured.length > 0)
    await takeWatchRequests(deps, state, { added: configured, removed: [] }, watches);
  // Catch-up chunks of watched addresses alternate with the head's units, so neither waits long.
  let catchUpTurn = true;
  while (!signal.aborted) {
    if (control !== null) {
      await Promise.race([control.gate.pass(), stopped]);
      if (signal.aborted) return;
      control.progress(state.next - 1);
    }
    if (watches !== null) await takeWatchRequests(deps, state, watches.take(), watches);
    if (catchingUp(state) && (catchUpTurn || state.next > head)) {
      catchUpTurn = false;
      if (await watchStep(deps, state, watches)) {
        // Waiting for no head while catching up: look whether one came, so the head keeps its turns.
        if (state.next > head) head = await heads.head(retries, signal);
        continue;
      }
    }
    catchUpTurn = true;
    const safe = head - depth;
    if (state.next <= safe && state.headers.size === 0) {
      await backfill(deps, state, state.next, safe, signal);
    } else if (state.next <= head) {
      try {
        await followBlock(deps, state, state.next);
      } catch (err) {
        if (control === null || !isTickstreamError(err, 'REORG_DETECTED')) throw err;
        await onReorg(deps, state, heads, control, err);
        continue;
      }
      if (state.next > head) head = await heads.head(retries, signal);
    } else {
      control?.gate.setIdle(true);
      try {
        head = await heads.waitPast(state.next - 1, retries, signal);
      } finally {
        control?.gate.setIdle(false);
      }
    }
  }
}

/** Walks back to the common ancestor and reports the reorg, or halts when it is deeper than finality. */
async function onReorg(
  deps: IngestDeps,
  state: IngestState,
  heads: HeadWatcher,
  control: IngestControl,
  err: TickstreamError,
): Promise<void> {
  const block = Number(err.details.block);
  const started = Date.now();
  try {
    const fork = await fetchHeader(deps, block);
    const { ancestor, depth } = await findCommonAncestor(deps, state.headers, fork, deps.cfg.FINALITY_DEPTH);
    const newHead = await fetchHeader(deps, await heads.head(deps.cfg.RPC_MAX_RETRIES, deps.signal));
    const reorgId = `r-${newHead.number}-${newHead.hash.slice(2, 10)}`;
    deps.log.warn(
      { reorgId, depth, targetBlock: ancestor.number, newHead: newHead.number, walkMs: Date.now() - started },
      `reorg detected at block ${block}: common ancestor ${ancestor.number}`,
    );
    await control.reportReorg(reorgId, ancestor.number, { number: newHead.number, hash: newHead.hash });
  } catch (e) {
    if (!isTickstreamError(e, 'REORG_TOO_DEEP')) throw e;
    await control.halt(e, block);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
