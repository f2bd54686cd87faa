/**
 * Rebuilding projections from the ledger alone (no RPC): `rebuildProjections(deps, opts)`.
 *
 * 1. A fresh schema (`tickstream_rebuild`) with the same tables (`PROJECTION_DDL`), keys dropped.
 * 2. The partitions spread over worker threads (`FoldWorkers`, `worker.ts`; 2 by default, by estimated
 *    cost: entry counts, a pool entry weighing POOL_ENTRY_WEIGHT; the worker's code bundled once with
 *    esbuild, started by `main.ts` before anything else, so that it loads without tsx's loader). Each
 *    worker reads its partitions itself, each on a NATS connection of its own (`openLedgerLink`: one
 *    ack-less push consumer per partition and read, all streaming at once; the protocol parsed off the
 *    socket for `nats://`), gathers the entries into sealed blocks and folds them in memory with the live
 *    projector's own `applyBlock` (`PartitionFold`) as they come, the newest FINALITY_DEPTH blocks held
 *    back so that a rollback entry further on drops them, and streams the history and event rows in
 *    with COPY on its own connections (`RowWriter`, `CopySink`); at its end, its latest rows are copied.
 *    The main thread only coordinates: targets, progress, keys. Each table's keys are built once every
 *    worker writing it is done (`KeyBuilder`: two statements at a time, the biggest table first,
 *    constraints attached and ANALYZE of the table's `stats` columns after its indexes).
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
export * from './bundle';
export * from './copy';
export * from './fold';

export * from './parallel';
export * from './progress';
export * from './projections';
export * from './rebuild';
export * from './rows';
export * from './schema';
export * from './swap';
export * from './writer';
