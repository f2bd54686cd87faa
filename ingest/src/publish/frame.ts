import type { NatsConnection } from '@nats-io/transport-node';
import {
  binaryLogSize,
  encodeEntry,
  type LedgerEntry,
  TickstreamError,
  writeBinaryLog,
} from '@tickstream/shared';

/** Writes finished protocol bytes to a NATS connection, in order with everything else it sends. */
export type RawSend = (bytes: Uint8Array) => void;

/**
 * The raw send of a nats.js connection: its protocol handler's `sendCommand`, which queues bytes on
 * the connection's outbound buffer exactly as `publish` does after framing a message. Not part of
 * nats.js's typed API, so it is looked up and checked at run time; null when it is missing (another
 * client version), when the server does not take headers, or when the connection is closed or
 * draining, and the caller then publishes message by message.
 */
export function rawSendOf(nc: NatsConnection): RawSend | null {
  if (nc.isClosed() || nc.isDraining() || nc.info?.headers !== true) return null;
  const protocol = (nc as { protocol?: { sendCommand?: unknown } }).protocol;
  if (protocol === undefined || typeof protocol.sendCommand !== 'function') return null;
  const sendCommand = protocol.sendCommand as (this: unknown, bytes: Uint8Array) => void;
  return (bytes) => sendCommand.call(protocol, bytes);
}

/** What `frameAppends` needs to know about a batch. */
export interface AppendBatch {
  readonly entries: readonly LedgerEntry[];
  /** The message id of each entry. */
  readonly ids: readonly string[];
  /** The id of the entry before the first one, or undefined for no expectation. */
  readonly previous: string | undefined;
  readonly subjectOf: (e: LedgerEntry) => string;
  /** The reply subject of the last entry; the others have none. */
  readonly reply: string;
  /** The server's largest payload (headers and data). */
  readonly maxPayload: number;
}

// `HPUB <subject> [reply] <header bytes> <total bytes>\r\n`: the part that is not subject or reply.
const LINE_SLACK = 'HPUB   \r\n'.length + 2 * 10;
const HEAD = 'NATS/1.0\r\nNats-Msg-Id: '.length + '\r\n\r\n'.length;
const EXPECT = '\r\nNats-Expected-Last-Msg-Id: '.length;

/**
 * The JetStream publishes of a batch as one buffer of `HPUB` frames: for each entry its subject, its
 * headers (`Nats-Msg-Id`, and `Nats-Expected-Last-Msg-Id` naming the entry before it) and its
 * encoded entry, log entries written in place (`writeBinaryLog`). What nats.js's `publish` sends,
 * without its four buffers, two string encodings and a copy per message. Message ids and subjects
 * are ASCII without spaces, CR or LF (ours are).
 *
 * Throws LEDGER_ERROR (not retryable) when an entry is larger than the server takes: sent anyway, it
 * would make the server close the connection.
 */
export function frameAppends(batch: AppendBatch): Buffer {
  const { entries, ids } = batch;
  const last = entries.length - 1;
  const others: (Uint8Array | undefined)[] = [];
  let size = batch.reply.length;
  let previous = batch.previous;
  for (let i = 0; i <= last; i++) {
    const e = entries[i]!;
    let body: number;
    if (e.kind === 'log') body = binaryLogSize(e);
    else {
      const bytes = encodeEntry(e);
      others[i] = bytes;
      body = bytes.length;
    }
    const head = HEAD + ids[i]!.length + (previous === undefined ? 0 : EXPECT + previous.length);
    if (head + body > batch.maxPayload) {
      throw new TickstreamError(
        'LEDGER_ERROR',
        `ledger entry ${ids[i]} is ${head + body} bytes, more than the server's ${batch.maxPayload}`,
      );
    }
    size += LINE_SLACK + batch.subjectOf(e).length + head + body + 2;
    previous = ids[i];
  }
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  previous = batch.previous;
  for (let i = 0; i <= last; i++) {
    const e = entries[i]!;
    const id = ids[i]!;
    const other = others[i];
    const body =
      other === undefined ? binaryLogSize(e as Extract<LedgerEntry, { kind: 'log' }>) : other.length;
    const expect = previous === undefined ? '' : `\r\nNats-Expected-Last-Msg-Id: ${previous}`;
    const head = HEAD + id.length + expect.length;
    const to = i === last ? `${batch.subjectOf(e)} ${batch.reply}` : batch.subjectOf(e);
    at += buf.write(
      `HPUB ${to} ${head} ${head + body}\r\nNATS/1.0\r\nNats-Msg-Id: ${id}${expect}\r\n\r\n`,
      at,
      'latin1',
    );
    if (other === undefined) at = writeBinaryLog(e as Extract<LedgerEntry, { kind: 'log' }>, buf, at);
    else {
      buf.set(other, at);
      at += other.length;
    }
    buf[at++] = 13;
    buf[at++] = 10;
    previous = id;
  }
  return buf.subarray(0, at);
}
