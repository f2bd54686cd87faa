import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeEntry, type LedgerEntry, messageId } from '@tickstream/shared';

export interface StoredEntry {
  readonly seq: number;
  readonly msgId: string;
  readonly entry: LedgerEntry;
}

/** Reads a whole stream in order with an ordered consumer (test and bench support). */
export async function readStream(nc: NatsConnection, stream: string): Promise<StoredEntry[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const last = info.state.last_seq;
  const out: StoredEntry[] = [];
  if (info.state.messages === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 10_000 });
  for await (const m of messages) {
    const entry = decodeEntry(m.data);
    out.push({ seq: m.seq, msgId: m.headers?.get('Nats-Msg-Id') || messageId(entry), entry });
    if (m.seq >= last) break;
  }
  await messages.close();
  return out;
}

/** The stream's message count and last sequence. */
export async function streamState(
  nc: NatsConnection,
  stream: string,
): Promise<{ messages: number; lastSeq: number }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  return { messages: info.state.messages, lastSeq: info.state.last_seq };
}
