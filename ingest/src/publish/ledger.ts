import type { JetStreamManager } from '@nats-io/jetstream';
import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
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
import { frameAppends, rawSendOf } from './frame';

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
  return { seq, entry, msgId: msg.header?.get('Nats-Msg-Id') || messageId(entry) };
}

interface Pending {
  left: number;
  lastSeq: number;
  failure: string | null;
  done: () => void;
}

const decoder = new TextDecoder();

/**
 * The two JetStream headers of an append, encoded once by hand. nats.js's `headers()` validates and
 * canonicalises every key on every `set`, a third of the cost of a publish; `publish` only ever calls
 * `encode()` on the headers it is given. Our values are message ids: ASCII without CR or LF.
 */
class AppendHeaders {
  constructor(
    private readonly msgId: string,
    private readonly expectedLast: string | undefined,
  ) {}

  encode(): Uint8Array {
    const expect =
      this.expectedLast === undefined ? '' : `\r\nNats-Expected-Last-Msg-Id: ${this.expectedLast}`;
    return Buffer.from(`NATS/1.0\r\nNats-Msg-Id: ${this.msgId}${expect}\r\n\r\n`, 'latin1');
  }
}

/**
 * Appends entries in order, as JetStream publishes on core NATS with one reply inbox per writer
 * (nats.js's per-message `js.publish` builds two Error objects per call, which costs more than the
 * publish itself). Each message carries its message id (JetStream de-duplication) and the id of the
 * entry before it (`Nats-Expected-Last-Msg-Id`), so the stream can never get a hole or a reordering:
 * after a refused publish every later one is refused too, and the writer must be re-synced from the
 * tail (`readTail`) before it appends again.
 *
 * That chain is also why only the last entry of a batch carries a reply subject (JetStream checks and
 * stores the others the same, it just does not answer them): the stream stores a connection's
 * messages in order, and the last entry is stored (or found a duplicate of a stored entry) only if its
 * predecessor is the stream's last entry, and so on back to the first. One acknowledgement per batch
 * instead of one per entry spares the server a reply and this process a parsed message per log (a
 * fifth of a backfill's CPU). What is lost is the reason of the first refusal in a refused batch: the
 * error names the last entry's ("wrong last msg ID"). A batch goes out as one buffer of frames
 * (`frameAppends`), or message by message where nats.js offers no raw send (`rawSendOf`).
 *
 * `send` puts a batch on the wire at once and returns the promise of its acknowledgements, so a
 * caller can prepare the next batch while this one is being stored; batches are stored in the order
 * they were sent.
 */
export class LedgerWriter {
  #lastMsgId: string | undefined;
  readonly #inbox: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, Pending>();
  #nextBatch = 0;
  #epoch: string | null;
  readonly #subjects = new Map<LedgerEntry['partition'], string>();
  readonly #subjectOf = (e: LedgerEntry): string => {
    let subject = this.#subjects.get(e.partition);
    if (subject === undefined) {
      subject = partitionSubject(this.target.prefix, this.target.chainId, e.partition);
      this.#subjects.set(e.partition, subject);
    }
    return subject;
  };

  constructor(
    private readonly nc: NatsConnection,
    private readonly target: LedgerTarget,
    tail: LedgerTail | null,
    epoch: string | null = null,
    private readonly timeoutMs = 30_000,
  ) {
    this.#lastMsgId = tail?.msgId;
    this.#epoch = epoch;
    this.#inbox = createInbox();
    this.#sub = nc.subscribe(`${this.#inbox}.*`, { callback: (_err, msg) => this.#onAck(msg) });
  }

  /** The id of the latest rollback in the ledger, part of every later message id (see `messageId`). */
  get epoch(): string | null {
    return this.#epoch;
  }

  set epoch(reorgId: string | null) {
    this.#epoch = reorgId;
  }

  /** The message id this writer gives `e`. */
  idOf(e: LedgerEntry): string {
    return messageId(e, this.#epoch);
  }

  /** Publishes `entries` and waits until all are stored; resolves with the last one's stream sequence. */
  append(entries: readonly LedgerEntry[]): Promise<number> {
    return this.send(entries);
  }

  /**
   * Puts `entries` on the wire now (synchronously) and returns the promise of their acknowledgements:
   * the stream sequence of the last one, or a retryable LEDGER_ERROR if any was refused or not
   * acknowledged within the timeout.
   */
  send(entries: readonly LedgerEntry[]): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    const batch = String(this.#nextBatch++);
    const reply = `${this.#inbox}.${batch}`;
    const pending: Pending = { left: 1, lastSeq: 0, failure: null, done: () => {} };
    const finished = new Promise<void>((resolve) => {
      pending.done = resolve;
    });
    const last = entries.length - 1;
    const ids = entries.map((e) => messageId(e, this.#epoch));
    const raw = rawSendOf(this.nc);
    if (raw !== null) {
      // One buffer of frames for the whole batch (`frameAppends`); errors before anything is sent.
      const frames = frameAppends({
        entries,
        ids,
        previous: this.#lastMsgId,
        subjectOf: this.#subjectOf,
        reply,
        maxPayload: this.nc.info?.max_payload ?? 1024 * 1024,
      });
      raw(frames);
    } else {
      for (let i = 0; i <= last; i++) {
        const e = entries[i]!;
        const headers = new AppendHeaders(
          ids[i]!,
          i === 0 ? this.#lastMsgId : ids[i - 1],
        ) as unknown as MsgHdrs;
        // Only the last entry asks for an acknowledgement: see the class comment.
        this.nc.publish(this.#subjectOf(e), encodeEntry(e), i === last ? { headers, reply } : { headers });
      }
    }
    this.#lastMsgId = ids[last];
    this.#pending.set(batch, pending);
    const timer = setTimeout(() => {
      pending.failure ??= `no acknowledgement for the last of ${entries.length} entries within ${this.timeoutMs} ms`;
      pending.done();
    }, this.timeoutMs);
    return finished.then(() => {
      clearTimeout(timer);
      this.#pending.delete(batch);
      if (pending.failure !== null) {
        this.#lastMsgId = undefined;
        throw new TickstreamError('LEDGER_ERROR', `append refused: ${pending.failure}`, { retryable: true });
      }
      return pending.lastSeq;
    });
  }

  /** Forgets the expected predecessor; call with the fresh tail after a failed append. */
  resync(tail: LedgerTail | null): void {
    this.#lastMsgId = tail?.msgId;
  }

  close(): void {
    this.#sub.unsubscribe();
  }

  #onAck(msg: Msg): void {
    const p = this.#pending.get(msg.subject.slice(this.#inbox.length + 1));
    if (p === undefined) return;
    if (msg.headers?.hasError) {
      p.failure ??= `${msg.headers.code} ${msg.headers.description}`; // e.g. 503: no stream for the subject
    } else {
      // A PubAck is `{"stream":"…","seq":N[,"duplicate":true]}`: read the number without JSON.parse (one
      // ack per entry, a tenth of a backfill's CPU otherwise); anything else is parsed for its error.
      const d = msg.data;
      const text = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('latin1');
      const at = text.indexOf('"seq":');
      if (at >= 0 && !text.includes('"error"')) {
        const seq = Number.parseInt(text.slice(at + 6, at + 26), 10);
        if (seq > p.lastSeq) p.lastSeq = seq;
      } else {
        const ack = JSON.parse(decoder.decode(d)) as { error?: { description: string } };
        p.failure ??= ack.error?.description ?? `unexpected acknowledgement ${text.slice(0, 200)}`;
      }
    }
    if (--p.left === 0) p.done();
  }
}
