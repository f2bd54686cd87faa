import { TickstreamError } from '@tickstream/shared';
import { completeSpan, fetchSpan } from '../backfill';
import { blockEntries } from '../route';
import { type ChainHeader, getHeader, isUnknownBlock, withRetry } from '../rpc';
import type { IngestDeps, IngestState } from '../service/deps';
import { saveHeader, savePools } from '../store';
import { reconcile } from './reconcile';

function reorgError(block: number, expected: string, got: string): TickstreamError {
  return new TickstreamError(
    'REORG_DETECTED',
    `reorg at block ${block}: its parent hash is ${got}, but the stored block ${block - 1} is ${expected}`,
    { details: { block, expectedParent: expected, gotParent: got } },
  );
}

/** The header of `n`, with retries. */
export function fetchHeader(deps: IngestDeps, n: number): Promise<ChainHeader> {
  return withRetry(deps.log, `header ${n}`, { retries: deps.cfg.RPC_MAX_RETRIES, signal: deps.signal }, () =>
    getHeader(deps.client, n),
  );
}

/**
 * Appends one block near the head: its header is checked against the local hash chain, its logs are
 * fetched by block hash (so they belong to exactly that block), every partition gets a seal, and the
 * header is stored with the cursor after the ledger has the block. A parent-hash mismatch throws
 * REORG_DETECTED naming the block; nothing of that block is appended.
 */
export async function followBlock(
  deps: IngestDeps,
  state: IngestState,
  n: number,
  attempt = 0,
): Promise<void> {
  const header = await fetchHeader(deps, n);
  let r = reconcile(state.headers, header);
  if (r.kind === 'gap') {
    // First block near the head after backfill: anchor on the parent, checked against what backfill saw.
    const parent = await fetchHeader(deps, n - 1);
    if (
      state.last !== null &&
      state.last.number === n - 1 &&
      state.last.hash !== null &&
      state.last.hash !== parent.hash
    ) {
      throw reorgError(n - 1, state.last.hash, parent.hash);
    }
    state.headers.set(parent.number, parent);
    r = reconcile(state.headers, header);
  }
  if (r.kind === 'duplicate') return;
  if (r.kind === 'reorg') throw reorgError(r.block, r.expectedParent, r.gotParent);
  if (r.kind === 'gap') throw new TickstreamError('INTERNAL', `no parent for block ${n} after anchoring`);

  let fetched: Awaited<ReturnType<typeof fetchSpan>>;
  let discovered: Map<`0x${string}`, number>;
  try {
    fetched = await fetchSpan(deps, state.pools, { block: { number: n, hash: header.hash } });
    discovered = await completeSpan(deps, state.pools, fetched);
  } catch (err) {
    // The block left the chain between its header and its logs (a reorg under our feet): read the
    // chain again — the new block at this height then links or reports the reorg.
    if (!isUnknownBlock(err) || attempt >= 3) throw err;
    deps.log.info(
      { block: n, hash: header.hash },
      'block gone between header and logs; reading the chain again',
    );
    return followBlock(deps, state, n, attempt + 1);
  }
  if (discovered.size > 0) {
    await savePools(deps.pg, deps.cfg.CHAIN_ID, discovered);
    deps.log.info({ pools: [...discovered.keys()], block: n }, 'pools discovered');
  }
  state.seq = await state.writer.append(blockEntries(deps.route, fetched.logs, header));
  await saveHeader(deps.pg, deps.cfg.CHAIN_ID, header, state.seq, 2 * deps.cfg.FINALITY_DEPTH);
  state.headers.set(n, header);
  state.headers.delete(n - 2 * deps.cfg.FINALITY_DEPTH);
  state.last = { number: n, hash: header.hash };
  state.next = n + 1;
}
