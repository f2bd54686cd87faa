import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { decodeEntry, type Logger, TickstreamError } from '@tickstream/shared';
import { BlockAssembler, type Unit } from './blocks';
import { inboxToken, type LedgerLink } from './link';

export interface FeedTarget {
  readonly stream: string;
  readonly subject: string;
  /** Durable consumer name, one per partition (and per projection set). */
  readonly durable: string;
}

export interface FeedOptions {
  /** The checkpoint's stream sequence: entries at or below it are skipped. */
  readonly afterSeq: number;
  /** Most entries to gather before handing a batch over during catch-up. */
  readonly maxBatchEntries: number;
  /**
   * Near the head (at most `nearHeadBlocks` blocks' worth of the partition's entries left in the stream,
   * at the entries per block the feed has seen so far), a batch also ends at the first block of each
   * window of `snapshotEvery` blocks, so that the snapshots written at batch ends land on those blocks
   * (and a rewind replays little). Far behind, batches stay large. Absent: near only at the end.
   */
  readonly snapshotEvery?: number;
  /**
   * The window for blocks of ingest's backfill (their seals carry no parent hash: final when appended),
   * where snapshots are rarer (default `snapshotEvery`).
   */
  readonly deepSnapshotEvery?: number;
  readonly nearHeadBlocks?: number;
  /** The checkpoint's block (where the first window starts). */
  readonly afterBlock?: number | null;
  /**
   * With nothing more in the stream after a block of ingest's backfill, how long the batch waits for
   * more before it is handed over (`batchState`: 'hold'). 0 or absent: no wait.
   */
  readonly holdMs?: number;
  /**
   * How long a pull request waits for entries (default 2 s). While it waits, the server sends a
   * heartbeat every fifth of that (at most 1 s). A request neither ended (408, or all delivered) two
   * heartbeats after it expired is taken as gone and another is sent: NATS 2.9.10 here now and then
   * stops serving a request it has delivered part of, without the 408 (one request in several
   * end-to-end runs of `bench:sync`; the partition's feed would otherwise wait for ever). Two such in a
   * row with no word from the server in between fail the feed.
   */
  readonly pullExpiresMs?: number;
  /**
   * Asked before every pull request; false: the partition may have another owner (a stale lease), so
   * no request is sent and the feed fails. A process woken from a freeze (SIGSTOP) would otherwise pull
   * from the durable consumer its successor now reads, taking entries away from it.
   */
  readonly mayPull?: (() => boolean) | undefined;
}

/**
 * Pure: whether a block unit ends the batch because it is the first of a new window of `every` blocks
 * after `prev` (the previous unit's block), near the head (`pending <= within`).
 *
 * @example
 * cutsBatch(63, 64, 32, 10, 100) === true; cutsBatch(64, 65, 32, 10, 100) === false; cutsBatch(63, 64, 32, 500, 100) === false
 */
export function cutsBatch(
  prev: number | null,
  block: number,
  every: number,
  pending: number,
  within: number,
): boolean {
  return prev !== null && pending <= within && Math.floor(block / every) > Math.floor(prev / every);
}

/**
 * What `handle` may return: the promise of the batch's commit, when it returns before the batch is
 * committed (folded, the commit under way). The ack waits for it; the feed fails if it fails.
 */
export interface Handled {
  readonly committed: Promise<void>;
}

/** What the feed knows about a batch it hands over. */
export interface BatchInfo {
  /** Entries received since the previous batch (including skipped redeliveries and a trailing partial block). */
  readonly entries: number;
  /** Entries of this partition still in the stream after the batch (the consumer's lag). */
  readonly pending: number;
  /** The batch ended near the head (see `FeedOptions.nearHeadBlocks`): its commit may snapshot. */
  readonly near: boolean;
}

function consumerConfig(t: FeedTarget, afterSeq: number) {
  return {
    durable_name: t.durable,
    filter_subject: t.subject,
    ack_policy: AckPolicy.All,
    ack_wait: 60_000_000_000,
    max_ack_pending: -1,
    ...(afterSeq > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
      : { deliver_policy: DeliverPolicy.All }),
  };
}

/**
 * Creates the partition's durable pull consumer if missing: explicit cumulative acks (`AckPolicy.All`),
 * starting after the checkpoint. Filter on one subject (NATS 2.9 allows one per consumer). The service
 * uses `resetConsumer`, which also repairs a consumer left behind the checkpoint.
 *
 * @example
 * await ensureConsumer(jsm, target, checkpoint?.seq ?? 0);
 */
export async function ensureConsumer(jsm: JetStreamManager, t: FeedTarget, afterSeq: number): Promise<void> {
  try {
    await jsm.consumers.info(t.stream, t.durable);
  } catch {
    await jsm.consumers.add(t.stream, consumerConfig(t, afterSeq));
  }
}

/**
 * Makes the partition's durable consumer start exactly after the checkpoint, which Postgres holds. An
 * existing consumer is kept only when it is clean there (acked up to the checkpoint, nothing delivered
 * beyond); otherwise (a crash between commit and ack, a rebuilt database) it is deleted and created
 * again at `afterSeq + 1`. Reusing one with unacked deliveries would hand new entries over before the
 * server redelivers the old ones (after `ack_wait`), out of order. Returns what it did.
 *
 * @example
 * await resetConsumer(jsm, target, checkpoint?.seq ?? 0); // 'kept' | 'created' | 'recreated'
 */
export async function resetConsumer(
  jsm: JetStreamManager,
  t: FeedTarget,
  afterSeq: number,
): Promise<'kept' | 'created' | 'recreated'> {
  let existing: Awaited<ReturnType<JetStreamManager['consumers']['info']>> | undefined;
  try {
    existing = await jsm.consumers.info(t.stream, t.durable);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) {
    const clean =
      existing.num_ack_pending === 0 &&
      existing.ack_floor.stream_seq === afterSeq &&
      existing.delivered.stream_seq === afterSeq &&
      existing.config.filter_subject === t.subject;
    if (clean) return 'kept';
    await jsm.consumers.delete(t.stream, t.durable);
  }
  await jsm.consumers.add(t.stream, consumerConfig(t, afterSeq));
  return existing === undefined ? 'created' : 'recreated';
}

/**
 * Pure: what a batch does after a delivery. `now`: it is handed over (full, cut at a snapshot window,
 * or nothing more in the stream after a block at the head or a rollback). `hold`: nothing more in the
 * stream, but its last block came from ingest's backfill (final; more follow within moments while
 * ingest backfills), so it waits up to the hold time for more: fewer, larger commits. `wait`: more is
 * on its way (or no whole unit yet).
 *
 * @example
 * batchState({ units: 3, entries: 40, pending: 0, max: 5000, cut: false, lastDeep: false }) === 'now'
 * batchState({ units: 3, entries: 40, pending: 0, max: 5000, cut: false, lastDeep: true }) === 'hold'
 */
export function batchState(b: {
  units: number;
  entries: number;
  pending: number;
  max: number;
  cut: boolean;
  lastDeep: boolean;
}): 'now' | 'hold' | 'wait' {
  if (b.units === 0) return 'wait';
  if (b.entries >= b.max || b.cut) return 'now';
  if (b.pending > 0) return 'wait';
  return b.lastDeep ? 'hold' : 'now';
}

/** How long a pull request waits for entries before the server ends it (408) and another is sent. */
const PULL_EXPIRES_MS = 2_000;

/**
 * Feeds whole units (sealed blocks, rollbacks) of one partition to `handle`, in batches, from the
 * partition's durable pull consumer read over `link` (`link.ts`: frames parsed off the socket). Pull
 * requests ask for `maxBatchEntries` entries at a time; the next goes out when one ends (all delivered,
 * or expired after PULL_EXPIRES_MS), while fewer than `maxBatchEntries` entries wait, so at most about
 * twice that is in memory. Deliveries are decoded and assembled into units as they arrive, also while
 * `handle` commits the previous batch. A batch is handed over as `batchState` says: during catch-up up
 * to `maxBatchEntries` entries at once, at the head every block as soon as its seal arrives, blocks of
 * ingest's backfill after at most `holdMs` more. `handle` commits, or folds and returns the promise of
 * its commit (`Handled`: the next batch is handed over meanwhile); only after the commit is the batch
 * acked (cumulatively, up to the last unit's seal), so a crash between the two redelivers entries that
 * the checkpoint then skips. Throws LEDGER_ERROR when the link fails, the consumer goes away (409) or the
 * server falls silent; returns when `signal` aborts.
 *
 * @example
 * await runFeed(link, target, { afterSeq, maxBatchEntries: 5000 }, log, async (units, info) => commit(units), signal);
 */
export async function runFeed(
  link: LedgerLink,
  t: FeedTarget,
  opts: FeedOptions,
  log: Logger,
  handle: (units: Unit[], info: BatchInfo) => Promise<Handled | undefined> | Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  /** The last batch's commit and ack (the next batch is folded meanwhile). */
  let inflight: Promise<void> = Promise.resolve();
  const max = opts.maxBatchEntries;
  const holdMs = opts.holdMs ?? 0;
  const nearHeadBlocks = opts.nearHeadBlocks ?? 0;
  let seenEntries = 0;
  let seenBlocks = 0;
  /** Entries left in the stream under which the partition is near the head. */
  const within = () =>
    Math.ceil(nearHeadBlocks * (seenBlocks === 0 ? 1 : Math.max(1, seenEntries / seenBlocks)));
  const asm = new BlockAssembler(opts.afterSeq);
  const inbox = `_INBOX.${inboxToken()}`;
  const next = `$JS.API.CONSUMER.MSG.NEXT.${t.stream}.${t.durable}`;
  const expiresMs = opts.pullExpiresMs ?? PULL_EXPIRES_MS;
  const heartbeatMs = Math.min(1_000, Math.max(10, Math.floor(expiresMs / 5)));
  const request = JSON.stringify({
    batch: max,
    expires: expiresMs * 1_000_000,
    idle_heartbeat: heartbeatMs * 1_000_000,
  });

  /** Batches handed over and not yet taken by the loop below (while it commits an earlier one). */
  const ready: { units: Unit[]; info: BatchInfo; ackTo: string | null }[] = [];
  let queued = 0; // entries in `ready`
  let batch: Unit[] = [];
  let entries = 0;
  let pending = 0;
  let ackTo: string | null = null; // reply subject of the batch's last unit
  let prevBlock = opts.afterBlock ?? null;
  let lastDeep = false; // the batch's last unit is a block of ingest's backfill
  let holding: NodeJS.Timeout | null = null;
  let credit = 0; // entries the open pull request may still deliver (0: none open)
  let answered = false; // the server said something (a delivery, a status) since the last pull request
  let expiresAt = 0; // when the open pull request expires
  let unanswered = 0; // pull requests in a row that ended without a word from the server
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const fail = (err: Error) => {
    failure ??= err;
    notify();
  };
  const pull = () => {
    if (credit > 0 || queued >= max || failure !== null || signal.aborted) return;
    if (opts.mayPull !== undefined && !opts.mayPull()) {
      fail(
        new TickstreamError('LEDGER_ERROR', `consumer ${t.durable}: the partition may have another owner`, {
          retryable: true,
        }),
      );
      return;
    }
    if (answered) unanswered = 0;
    answered = false;
    credit = max;
    expiresAt = performance.now() + expiresMs;
    link.publish(next, request, inbox);
  };
  const release = () => {
    if (holding !== null) clearTimeout(holding);
    holding = null;
    ready.push({ units: batch, info: { entries, pending, near: pending <= within() }, ackTo });
    queued += entries;
    batch = [];
    entries = 0;
    ackTo = null;
    notify();
  };

  link.onError = fail;
  link.subscribe(
    inbox,
    (seq, _dseq, left, data) => {
      answered = true;
      if (credit > 0) credit--; // (a request taken as gone may still deliver: never below none)
      if (failure !== null) return;
      try {
        const units = asm.push(seq, decodeEntry(data));
        entries++;
        seenEntries++;
        pending = left;
        let cut = false;
        for (const u of units) {
          batch.push(u);
          const n = u.kind === 'block' ? u.seal.blockNumber : u.entry.toBlock;
          lastDeep = u.kind === 'block' && u.seal.parentHash === null;
          if (u.kind === 'block') seenBlocks++;
          if (opts.snapshotEvery !== undefined && u.kind === 'block') {
            const every = lastDeep ? (opts.deepSnapshotEvery ?? opts.snapshotEvery) : opts.snapshotEvery;
            cut ||= cutsBatch(prevBlock, n, every, left, within());
          }
          prevBlock = n;
        }
        if (units.length > 0) ackTo = link.reply();
        const state = batchState({ units: batch.length, entries, pending: left, max, cut, lastDeep });
        if (state === 'now' || (state === 'hold' && holdMs <= 0)) release();
        else if (state === 'hold' && holding === null) holding = setTimeout(release, holdMs);
        else if (state === 'wait' && left > 0 && holding !== null) {
          // more arrived after all: the batch fills up (or ends) on its own
          clearTimeout(holding);
          holding = null;
        }
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (credit === 0) pull();
    },
    (code, description) => {
      answered = true;
      if (code === 408 || code === 404) {
        credit = 0; // the request ended with less than asked
        pull();
      } else if (code !== 100) {
        fail(
          new TickstreamError('LEDGER_ERROR', `consumer ${t.durable}: ${code} ${description}`, {
            retryable: true,
          }),
        );
      }
    },
  );
  const watchdog = setInterval(() => {
    if (credit > 0 && performance.now() > expiresAt + 2 * heartbeatMs) {
      // Gone without an end. Twice in a row without a word from the server in between: the link is dead.
      if (!answered && ++unanswered >= 2) {
        fail(
          new TickstreamError(
            'LEDGER_ERROR',
            `consumer ${t.durable}: no answer to ${unanswered} pull requests`,
            {
              retryable: true,
            },
          ),
        );
        return;
      }
      log.info({ subject: t.subject, credit }, 'pull request gone without an end: pulling again');
      credit = 0;
    }
    if (credit === 0) pull();
  }, heartbeatMs);
  watchdog.unref();
  const stop = () => notify();
  signal.addEventListener('abort', stop, { once: true });
  try {
    pull();
    for (;;) {
      if (ready.length === 0 && failure === null && !signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      if (failure !== null) throw failure;
      if (signal.aborted) break;
      const taken = ready.shift()!;
      queued -= taken.info.entries;
      pull(); // full queues stopped the pulls
      const handled = await handle(taken.units, taken.info);
      const ack = () => {
        if (taken.ackTo !== null) link.publish(taken.ackTo, '');
      };
      if (handled) {
        inflight = handled.committed.then(ack);
        inflight.catch((err: unknown) => fail(err as Error));
      } else ack();
    }
  } finally {
    await inflight.catch(() => undefined);
    signal.removeEventListener('abort', stop);
    clearInterval(watchdog);
    if (holding !== null) clearTimeout(holding);
    log.debug({ subject: t.subject, lastSeq: asm.lastSeq }, 'feed stopped');
  }
}
