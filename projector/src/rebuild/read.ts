import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { createInbox, type Msg, type NatsConnection, nanos } from '@nats-io/transport-node';
import { TickstreamError } from '@tickstream/shared';

/** One message of the stream, as a rebuild reads it. */
export interface StreamMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/** Time a read spent waiting for the server (nothing to hand to `take`), in ms; summed over all reads. */
export const readWait = { ms: 0 };

/** Messages received and not yet taken past which flow-control requests are held back. */
const MAX_AHEAD = 20_000;

/** A flow-control request of the server, kept in order with the messages it follows. */
interface FlowControl {
  readonly reply: string;
}

/**
 * The stream and consumer sequences of a JetStream delivery, from its reply subject:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` (or the 12-token form with
 * domain and account hash, and a trailing token).
 */
function sequences(reply: string): { sseq: number; dseq: number } {
  const t = reply.split('.');
  const at = t.length === 9 ? 5 : 7;
  return { sseq: Number(t[at]), dseq: Number(t[at + 1]) };
}

/**
 * Reads the stream in order from `fromSeq` to `toSeq` (inclusive; both within the stream) and hands
 * the messages to `take` in batches of up to `batchSize`; `take` may return a promise (reading waits
 * for it). Resolves with the last sequence read.
 *
 * One ephemeral push consumer (no acks, no durable state, flow control) delivering to a plain
 * subscription: measured here about half the client CPU per message of an ordered pull consumer's
 * iterator (3–4 µs against 5–8 µs). Flow control is the backpressure: the server's flow-control request
 * is answered at once while fewer than MAX_AHEAD messages wait, else only once every message before it
 * was taken, so the server never runs far ahead of the fold. A gap in the consumer's delivery sequence (lost messages) throws
 * LEDGER_ERROR (retryable).
 *
 * @example
 * await readRange(nc, jsm, 'TICKSTREAM_31337', 1, info.state.last_seq, (batch) => { for (const m of batch) … });
 */
export async function readRange(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  fromSeq: number,
  toSeq: number,
  take: (batch: StreamMessage[]) => void | Promise<void>,
  batchSize = 2_000,
): Promise<number> {
  if (fromSeq > toSeq) return fromSeq - 1;
  const inbox = createInbox();
  let queue: (StreamMessage | FlowControl)[] = [];
  let wake: (() => void) | null = null;
  let failed: Error | null = null;
  let lastDseq = 0;
  const sub = nc.subscribe(inbox, {
    callback: (err: Error | null, m: Msg) => {
      if (err !== null) failed ??= err;
      else if (m.data.length === 0 && m.headers !== undefined) {
        // Flow control (a heartbeat has no reply): answered at once while the fold keeps up, so the
        // server streams on; held back in order behind the queued messages when it does not.
        if (m.reply) {
          if (queue.length < MAX_AHEAD) nc.publish(m.reply);
          else queue.push({ reply: m.reply });
        }
      } else if (m.reply) {
        const { sseq, dseq } = sequences(m.reply);
        if (dseq !== lastDseq + 1) {
          failed ??= new TickstreamError(
            'LEDGER_ERROR',
            `stream ${stream}: delivery ${dseq} after ${lastDseq} (messages lost)`,
            { retryable: true },
          );
        }
        lastDseq = dseq;
        queue.push({ seq: sseq, subject: m.subject, data: m.data });
      }
      wake?.();
    },
  });
  const consumer = await jsm.consumers.add(stream, {
    deliver_subject: inbox,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: fromSeq,
    flow_control: true,
    idle_heartbeat: nanos(5_000),
    mem_storage: true,
    inactive_threshold: nanos(30_000),
  });
  let last = fromSeq - 1;
  try {
    while (last < toSeq) {
      if (failed !== null) throw failed;
      if (queue.length === 0) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
        readWait.ms += performance.now() - t0;
        continue;
      }
      const items = queue;
      queue = [];
      let batch: StreamMessage[] = [];
      for (const item of items) {
        if ('reply' in item) {
          if (batch.length > 0) await take(batch);
          batch = [];
          nc.publish(item.reply);
          continue;
        }
        if (item.seq > toSeq) break;
        batch.push(item);
        last = item.seq;
        if (batch.length >= batchSize) {
          await take(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await take(batch);
    }
  } finally {
    sub.unsubscribe();
    await jsm.consumers.delete(stream, consumer.name).catch(() => false);
  }
  return last;
}
