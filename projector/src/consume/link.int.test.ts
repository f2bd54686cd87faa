import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxToken, type LedgerLink, NatsJsLink, RawLink } from './link';

const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const STREAM = `LINKTEST_${inboxToken().toUpperCase()}`;
const SUBJECT = `${STREAM.toLowerCase()}.a`;
let nc: NatsConnection;
/** What was published on SUBJECT: stream sequence and bytes (some of 300 kB, split over socket reads). */
const published: [number, Buffer][] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`${STREAM.toLowerCase()}.*`] });
  const js = jsm.jetstream();
  for (let i = 0; i < 3_000; i++) {
    const big = i % 500 === 7;
    const data = Buffer.alloc(big ? 300_000 : 50 + (i % 300), i % 251);
    const h = headers();
    h.set('Nats-Msg-Id', `m${i}`);
    const other = await js.publish(`${STREAM.toLowerCase()}.b`, Buffer.from(`other ${i}`));
    const ack = await js.publish(SUBJECT, data, { headers: h });
    expect(ack.seq).toBe(other.seq + 1);
    published.push([ack.seq, data]);
  }
}, 120_000);

afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM).catch(() => false);
  await nc.close();
});

/** Reads SUBJECT from `from` with an ack-less push consumer; pauses the link a while now and then. */
async function readAll(link: LedgerLink, from: number): Promise<[number, Buffer][]> {
  const inbox = `_INBOX.${inboxToken()}`;
  const got: [number, Buffer][] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  link.subscribe(inbox, (sseq, dseq, pending, data) => {
    if (dseq !== got.length + 1) throw new Error(`delivery ${dseq} after ${got.length}`);
    got.push([sseq, Buffer.from(data)]);
    if (pending === 0) done();
  });
  let batches = 0;
  link.onBatch = () => {
    if (++batches % 10 === 0) {
      link.pause();
      setTimeout(() => link.resume(), 2);
    }
  };
  await link.flush();
  const r = await link.request<{ name: string; num_pending: number }>(`$JS.API.CONSUMER.CREATE.${STREAM}`, {
    stream_name: STREAM,
    config: {
      deliver_subject: inbox,
      filter_subject: SUBJECT,
      ack_policy: 'none',
      deliver_policy: 'by_start_sequence',
      opt_start_seq: from,
      flow_control: true,
      idle_heartbeat: 5e9,
      mem_storage: true,
    },
  });
  expect(r.num_pending).toBe(published.filter(([s]) => s >= from).length);
  await finished;
  await link.request(`$JS.API.CONSUMER.DELETE.${STREAM}.${r.name}`, null);
  await link.close();
  return got;
}

/** Same sequences and bytes (toEqual on 3,000 buffers takes seconds). */
function same(a: [number, Buffer][], b: [number, Buffer][]): boolean {
  return a.length === b.length && a.every(([s, d], i) => s === b[i]![0] && d.equals(b[i]![1]));
}

describe('ledger links', () => {
  it('default: the raw link reads a subject exactly as published (headers, big entries, pauses)', async () => {
    const got = await readAll(await RawLink.open(new URL(NATS), 'test'), 1);
    expect(same(got, published)).toBe(true);
  });

  it('behavior: the nats.js link reads the same from a start sequence', async () => {
    const from = published[1_000]![0];
    const got = await readAll(await NatsJsLink.open(NATS, 'test'), from);
    expect(same(got, published.slice(1_000))).toBe(true);
  });

  it('error: a request to a missing stream is LEDGER_ERROR', async () => {
    const link = await RawLink.open(new URL(NATS), 'test');
    await expect(
      link.request('$JS.API.CONSUMER.CREATE.NO_SUCH_STREAM_X', {
        stream_name: 'NO_SUCH_STREAM_X',
        config: {},
      }),
    ).rejects.toMatchObject({ code: 'LEDGER_ERROR' });
    await link.close();
  });
});
