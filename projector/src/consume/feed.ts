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
}

/**
 * Creates the partition's durable pull consumer if missing: explicit cumulative acks (`AckPolicy.All`),
 * starting after the checkpoint. Filter on one subject (NATS 2.9 allows one per consumer).
 */
export async function ensureConsumer(jsm: JetStreamManager, t: FeedTarget, afterSeq: number): Promise<void> {
  try {
    await jsm.consumers.info(t.stream, t.durable);
  } catch {
    await jsm.consumers.add(t.stream, {
      durable_name: t.durable,
      filter_subject: t.subject,
      ack_policy: AckPolicy.All,
      ack_wait: 60_000_000_000,
      max_ack_pending: -1,
      ...(afterSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
  }
}

/**
 * Feeds whole units (sealed blocks, rollbacks) of one partition to `handle`, in batches: during
 * catch-up up to `maxBatchEntries` entries at once, at the head every block as soon as its seal
 * arrives (the consumer has nothing pending). `handle` commits; only then is the batch acked
 * (cumulatively, up to the last unit's seal), so a crash between the two redelivers entries that
 * the checkpoint then skips.
 */
export async function runFeed(
  js: JetStreamClient,
  t: FeedTarget,
  opts: FeedOptions,
  log: Logger,
  handle: (units: Unit[]) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const consumer = await js.consumers.get(t.stream, t.durable);
  const messages = await consumer.consume({ max_messages: Math.min(opts.maxBatchEntries, 10_000) });
  const stop = () => void messages.close();
  signal.addEventListener('abort', stop, { once: true });
  const asm = new BlockAssembler(opts.afterSeq);
  let batch: Unit[] = [];
  let entries = 0;
  let lastUnitMsg: JsMsg | null = null;
  try {
    for await (const m of messages) {
      const units = asm.push(m.seq, decodeEntry(m.data));
      entries++;
      if (units.length > 0) {
        batch.push(...units);
        lastUnitMsg = m;
      }
      const caughtUp = m.info.pending === 0;
      if (batch.length > 0 && (caughtUp || entries >= opts.maxBatchEntries)) {
        await handle(batch);
        lastUnitMsg?.ack();
        batch = [];
        entries = 0;
        lastUnitMsg = null;
      }
      if (signal.aborted) break;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    log.debug({ subject: t.subject, lastSeq: asm.lastSeq }, 'feed stopped');
  }
}
