import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { decodeEntry, type Logger } from '@tickstream/shared';
import { BlockAssembler, type Unit } from './blocks';

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
   * Near the head (at most `cutWithinEntries` entries of the partition left in the stream), a batch
   * also ends at the first block of each window of `snapshotEvery` blocks, so that the snapshots written
   * at batch ends land on those blocks (and a rewind replays little). Far behind, batches stay large.
   * A function is asked again at each block (the caller's estimate of "near" can change).
   */
  readonly snapshotEvery?: number;
  /**
   * The window for blocks of ingest's backfill (their seals carry no parent hash: final when appended),
   * where snapshots are rarer (default `snapshotEvery`).
   */
  readonly deepSnapshotEvery?: number;
  readonly cutWithinEntries?: number | (() => number);
  /** The checkpoint's block (where the first window starts). */
  readonly afterBlock?: number | null;
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

/** Where a JetStream message sits: its stream sequence and the consumer's entries still pending after it. */
export interface Delivery {
  readonly seq: number;
  readonly pending: number;
}

/**
 * Pure: the stream sequence and pending count of a message from its ack subject, as the client's
 * `m.info` reads them (`$JS.ACK.<stream>.<consumer>.<count>.<sseq>.<dseq>.<ts>.<pending>`, or with
 * `<domain>.<account hash>` after `ACK` and a random token at the end), read digit by digit: no eleven
 * strings per message. Falls back to `info` for anything else.
 *
 * @example
 * deliveryOf('$JS.ACK.S.C.1.42.42.1700000000000000000.7', () => m.info) // { seq: 42, pending: 7 }
 */
export function deliveryOf(reply: string, info: () => { streamSequence: number; pending: number }): Delivery {
  const fallback = (): Delivery => {
    const di = info();
    return { seq: di.streamSequence, pending: di.pending };
  };
  if (!reply.startsWith('$JS.ACK.')) return fallback();
  let tokens = 1;
  for (let i = 0; i < reply.length; i++) if (reply.charCodeAt(i) === 46 /* . */) tokens++;
  if (tokens !== 9 && tokens !== 11 && tokens !== 12) return fallback();
  // the old form has no domain and account hash: its tokens sit two places earlier
  const seqToken = tokens === 9 ? 5 : 7;
  const pendingToken = seqToken + 3;
  let token = 0;
  let seq = 0;
  let pending = 0;
  for (let i = 0; i < reply.length; i++) {
    const c = reply.charCodeAt(i);
    if (c === 46) {
      token++;
      continue;
    }
    if (token !== seqToken && token !== pendingToken) continue;
    if (c < 48 || c > 57) return fallback(); // not a decimal number
    if (token === seqToken) seq = seq * 10 + (c - 48);
    else pending = pending * 10 + (c - 48);
  }
  return { seq, pending };
}

/** What the feed knows about a batch it hands over. */
export interface BatchInfo {
  /** Entries received since the previous batch (including skipped redeliveries and a trailing partial block). */
  readonly entries: number;
  /** Entries of this partition still in the stream after the batch (the consumer's lag). */
  readonly pending: number;
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
 * Feeds whole units (sealed blocks, rollbacks) of one partition to `handle`, in batches: during
 * catch-up up to `maxBatchEntries` entries at once, at the head every block as soon as its seal
 * arrives (the consumer has nothing pending). `handle` commits; only then is the batch acked
 * (cumulatively, up to the last unit's seal), so a crash between the two redelivers entries that
 * the checkpoint then skips.
 *
 * @example
 * await runFeed(js, target, { afterSeq, maxBatchEntries: 5000 }, log, async (units, info) => commit(units), signal);
 */
export async function runFeed(
  js: JetStreamClient,
  t: FeedTarget,
  opts: FeedOptions,
  log: Logger,
  handle: (units: Unit[], info: BatchInfo) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const consumer = await js.consumers.get(t.stream, t.durable);
  const messages = await consumer.consume({ max_messages: Math.min(opts.maxBatchEntries, 1_000) });
  const stop = () => void messages.close();
  signal.addEventListener('abort', stop, { once: true });
  // Aborted while the consumer was being fetched: the listener came too late to hear it.
  if (signal.aborted) stop();
  const asm = new BlockAssembler(opts.afterSeq);
  let batch: Unit[] = [];
  let entries = 0;
  let lastUnitMsg: JsMsg | null = null;
  let prevBlock = opts.afterBlock ?? null;
  try {
    const near = opts.cutWithinEntries ?? 0;
    const within = typeof near === 'number' ? () => near : near;
    for await (const m of messages) {
      // the client's message object has the ack subject; its `JsMsg` type does not say so
      const reply = (m as unknown as { reply?: string }).reply ?? '';
      const { seq, pending } = deliveryOf(reply, () => m.info);
      const units = asm.push(seq, decodeEntry(m.data));
      entries++;
      let cut = false;
      if (units.length > 0) {
        for (const u of units) {
          batch.push(u);
          const n = u.kind === 'block' ? u.seal.blockNumber : u.entry.toBlock;
          if (opts.snapshotEvery !== undefined && u.kind === 'block') {
            const every =
              u.seal.parentHash === null
                ? (opts.deepSnapshotEvery ?? opts.snapshotEvery)
                : opts.snapshotEvery;
            cut ||= cutsBatch(prevBlock, n, every, pending, within());
          }
          prevBlock = n;
        }
        lastUnitMsg = m;
      }
      if (batch.length > 0 && (pending === 0 || entries >= opts.maxBatchEntries || cut)) {
        await handle(batch, { entries, pending });
        lastUnitMsg?.ack();
        batch = [];
        entries = 0;
        lastUnitMsg = null;
      }
      if (signal.aborted) break;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    await messages.close().catch(() => undefined);
    log.debug({ subject: t.subject, lastSeq: asm.lastSeq }, 'feed stopped');
  }
}
