import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import {
  decodeEntry,
  encodeEntry,
  type LedgerEntry,
  messageId,
  partitionSubject,
  streamName,
  subjectRoot,
  TickstreamError,
} from '@tickstream/shared';

export interface LedgerTarget {
  readonly prefix: string;
  readonly chainId: number;
}

/** The last entry in the stream: where ingest resumes after any stop, clean or not. */
export interface LedgerTail {
  readonly seq: number;
  readonly entry: LedgerEntry;
  readonly msgId: string;
}

/**
 * Creates the chain's stream if missing (file storage, 2-minute de-duplication window). Idempotent.
 *
 * @example await ensureStream(jsm, { prefix: 'TICKSTREAM', chainId: 31337 });
 */
export async function ensureStream(jsm: JetStreamManager, target: LedgerTarget): Promise<string> {
  const name = streamName(target.prefix, target.chainId);
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add({
      name,
      subjects: [`${subjectRoot(target.prefix, target.chainId)}.>`],
      duplicate_window: 120_000_000_000,
      max_msg_size: 1024 * 1024,
    });
  }
  return name;
}

/** Reads the stream's last entry, or null for an empty stream. */
export async function readTail(jsm: JetStreamManager, target: LedgerTarget): Promise<LedgerTail | null> {
  const name = streamName(target.prefix, target.chainId);
  const info = await jsm.streams.info(name);
  const seq = info.state.last_seq;
  if (seq === 0 || info.state.messages === 0) return null;
  const msg = await jsm.streams.getMessage(name, { seq });
  if (msg === null) throw new TickstreamError('LEDGER_ERROR', `stream ${name}: last message ${seq} is gone`);
  const entry = decodeEntry(msg.data);
  return { seq, entry, msgId: messageId(entry) };
}

/**
 * Appends entries in order, many in flight at once. Each publish carries its message id (JetStream
 * de-duplication) and the id of the entry before it (`expect.lastMsgID`), so the stream can never get
 * a hole or a reordering: after a failed publish every later one is refused, and the writer must be
 * re-synced from the tail (`readTail`) before it appends again.
 */
export class LedgerWriter {
  #lastMsgId: string | undefined;
  readonly #window: number;

  constructor(
    private readonly js: JetStreamClient,
    private readonly target: LedgerTarget,
    tail: LedgerTail | null,
    window = 2_048,
  ) {
    this.#lastMsgId = tail?.msgId;
    this.#window = window;
  }

  /** Publishes `entries`; resolves with the stream sequence of the last one when all are stored. */
  async append(entries: readonly LedgerEntry[]): Promise<number> {
    let lastSeq = 0;
    for (let start = 0; start < entries.length; start += this.#window) {
      const chunk = entries.slice(start, start + this.#window);
      const acks = chunk.map((e) => {
        const id = messageId(e);
        const expect = this.#lastMsgId === undefined ? {} : { expect: { lastMsgID: this.#lastMsgId } };
        this.#lastMsgId = id;
        return this.js.publish(
          partitionSubject(this.target.prefix, this.target.chainId, e.partition),
          encodeEntry(e),
          {
            msgID: id,
            ...expect,
          },
        );
      });
      const results = await Promise.allSettled(acks);
      for (const r of results) {
        if (r.status === 'rejected') {
          this.#lastMsgId = undefined;
          throw new TickstreamError('LEDGER_ERROR', `append refused: ${(r.reason as Error).message}`, {
            retryable: true,
            cause: r.reason,
          });
        }
        lastSeq = Math.max(lastSeq, r.value.seq);
      }
    }
    return lastSeq;
  }

  /** Forgets the expected predecessor; call with the fresh tail after a failed append. */
  resync(tail: LedgerTail | null): void {
    this.#lastMsgId = tail?.msgId;
  }
}
