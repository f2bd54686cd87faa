/**
 * Rebuilding projections from the ledger alone (no RPC): `rebuildProjections(deps, opts)`.
 *
 * 1. A fresh schema (`tickstream_rebuild`) with the same tables (`PROJECTION_DDL`), keys dropped.
 * 2. One ordered read of the stream (`readRange`: an ephemeral push consumer, no acks, flow control)
 *    on the main thread, which hands each partition's raw entries, in ~1 MiB transferred chunks, to the
 *    worker thread that owns the partition (`FoldWorkers`, `worker.ts`; 2 workers by default, the
 *    partitions spread by their entry counts; the worker's code bundled once with esbuild so that it
 *    loads without tsx's loader). Each worker gathers its partitions' entries into sealed blocks,
 *    folds them in memory with the live projector's own `applyBlock` (`PartitionFold`), the newest
 *    FINALITY_DEPTH blocks held back so that a rollback entry further on drops them, and streams the
 *    history and event rows in with COPY on its own four connections while the fold goes on
 *    (`RowWriter`, `CopySink`); the latest rows are copied at the end; keys built once
 *    (`restoreKeys`: every index on its own connection at once, constraints attached after).
 * 3. The swap (`swapIn`), one transaction: writes to `proj_checkpoints`/`proj_finality` locked, each
 *    partition brought to exactly the live checkpoint, live rows that stay (other chains or partitions,
 *    orphaned rows) carried over, live tables moved to `tickstream_rebuild_old`, rebuilt ones moved in.
 *    A running projector's next compare-and-set succeeds on the new tables: nothing to pause.
 *
 * Projections (`projectionOf`): `all` (default), `pools` (partitions p0…p{P-1}: pools, ticks,
 * positions and their history, their events), `tokens` (nft_positions and the tokens events).
 *
 * Runnable: `tsx projector/src/rebuild/main.ts [--projection X] [--schema S] [--no-swap] [--json] [--workers N]`;
 * `npm run bench:rebuild` measures it over a ledger kept in NATS (`projector/bench/rebuild.bench.ts`).
 *
 * @example
 * const r = await rebuildProjections(
 *   { pg, nc, jsm, log, cfg, redis },
 *   { projection: 'pools', onProgress: (p) => process.stderr.write(`\r${progressLine(p)}`) },
 * );
 * console.log(`${r.events} events in ${r.seconds} s = ${r.eventsPerSec} events/s`);
 */
export * from './copy';
export * from './fold';
export * from './parallel';
export * from './progress';
export * from './projections';
export * from './read';
export * from './rebuild';
export * from './rows';
export * from './schema';
export * from './swap';
export * from './writer';
