import { type JetStreamClient, type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger, encodeEntry, type SealEntry, TickstreamError } from '@tickstream/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash } from '../apply/test-ledger';
import type { Unit } from './blocks';
import { type BatchInfo, ensureConsumer, type FeedTarget, runFeed } from './feed';
import { inboxToken, openLedgerLink } from './link';

const NATS = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const log = createLogger('feed-test', 'silent');
let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;

beforeAll(async () => {
  nc = await connect({ servers: NATS });
  jsm = await jetstreamManager(nc);
  js = jsm.jetstream();
});

afterAll(async () => {
  await nc.close();
});

/** A fresh stream with one partition subject and its durable consumer. */
async function freshTarget(): Promise<FeedTarget> {
  const stream = `FEEDTEST_${inboxToken().toUpperCase()}`;
  const subject = `${stream.toLowerCase()}.p0`;
  await jsm.streams.add({ name: stream, subjects: [`${stream.toLowerCase()}.*`] });
  const t = { stream, subject, durable: 'feedtest' };
  await ensureConsumer(jsm, t, 0);
  return t;
}

/** Seals (empty blocks) `from..to` of partition 0: deep (ingest's backfill, no parent hash) or live. */
async function publishBlocks(t: FeedTarget, from: number, to: number, deep: boolean): Promise<number> {
  let seq = 0;
  for (let n = from; n <= to; n++) {
    const seal: SealEntry = {
      kind: 'seal',
      chainId: 31337,
      partition: 0,
      blockNumber: n,
      blockHash: blockHash(n),
      parentHash: deep ? null : blockHash(n - 1),
      timestamp: null,
      logCount: 0,
    };
    seq = (await js.publish(t.subject, encodeEntry(seal))).seq;
  }
  return seq;
}

/** Runs the feed on its own link, recording each batch's blocks; `stop()` ends it. */
function startFeed(t: FeedTarget, holdMs: number) {
  const batches: { blocks: number[]; info: BatchInfo }[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const link = await openLedgerLink({ url: NATS, name: 'feed-test' });
    try {
      await runFeed(
        link,
        t,
        { afterSeq: 0, maxBatchEntries: 1000, holdMs },
        log,
        async (units: Unit[], info: BatchInfo) => {
          batches.push({ blocks: units.map((u) => (u.kind === 'block' ? u.seal.blockNumber : -1)), info });
        },
        controller.signal,
      );
    } finally {
      await link.close();
    }
  })();
  return { batches, done, stop: () => controller.abort() };
}

describe('runFeed over a ledger link (real NATS)', () => {
  it('default: backfilled blocks published in two bursts within the hold are one batch; a block at the head is handed over alone; acks follow commits', async () => {
    const t = await freshTarget();
    const feed = startFeed(t, 3_000);
    await publishBlocks(t, 1, 20, true);
    const lastDeep = await publishBlocks(t, 21, 40, true);
    await expect.poll(() => feed.batches.length, { timeout: 10_000 }).toBe(1);
    expect(feed.batches[0]!.blocks).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(feed.batches[0]!.info).toEqual({ entries: 40, pending: 0, near: true });
    await expect
      .poll(async () => (await jsm.consumers.info(t.stream, t.durable)).ack_floor.stream_seq)
      .toBe(lastDeep);

    const t0 = performance.now();
    const live = await publishBlocks(t, 41, 41, false);
    await expect.poll(() => feed.batches.length, { timeout: 10_000 }).toBe(2);
    expect(performance.now() - t0).toBeLessThan(2_500); // not held: well inside the 3 s hold
    expect(feed.batches[1]!.blocks).toEqual([41]);
    await expect
      .poll(async () => (await jsm.consumers.info(t.stream, t.durable)).ack_floor.stream_seq)
      .toBe(live);
    feed.stop();
    await feed.done;
    await jsm.streams.delete(t.stream);
  });

  it('behavior: with no hold, backfilled blocks go as soon as nothing more is pending; a full batch is cut at maxBatchEntries', async () => {
    const t = await freshTarget();
    await publishBlocks(t, 1, 2_500, true);
    const feed = startFeed(t, 0);
    await expect.poll(() => feed.batches.flatMap((b) => b.blocks).length, { timeout: 20_000 }).toBe(2_500);
    expect(feed.batches.flatMap((b) => b.blocks)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    expect(feed.batches.map((b) => b.blocks.length).slice(0, 2)).toEqual([1_000, 1_000]);
    expect(feed.batches.at(-1)!.info.pending).toBe(0);
    feed.stop();
    await feed.done;
    await jsm.streams.delete(t.stream);
  });

  it('behavior: a batch whose handle returns its commit still pending is acked only once that commit is done; a failed commit fails the feed, unacked', async () => {
    const t = await freshTarget();
    const commits: { resolve: () => void; reject: (e: Error) => void }[] = [];
    const handled: number[][] = [];
    const link = await openLedgerLink({ url: NATS, name: 'feed-test' });
    const controller = new AbortController();
    const done = runFeed(
      link,
      t,
      { afterSeq: 0, maxBatchEntries: 1000 },
      log,
      async (units: Unit[]) => {
        handled.push(units.map((u) => (u.kind === 'block' ? u.seal.blockNumber : -1)));
        return {
          committed: new Promise<void>((resolve, reject) => {
            commits.push({ resolve, reject });
          }),
        };
      },
      controller.signal,
    ).finally(() => link.close());
    const outcome = done.then(
      () => expect.unreachable('the feed went on'),
      (e: unknown) => e,
    );
    const first = await publishBlocks(t, 1, 1, false);
    await expect.poll(() => commits.length).toBe(1);
    const ackFloor = async () => (await jsm.consumers.info(t.stream, t.durable)).ack_floor.stream_seq;
    await link.flush();
    expect(await ackFloor()).toBe(0); // handled, not committed: no ack
    commits[0]!.resolve();
    await expect.poll(ackFloor).toBe(first);
    await publishBlocks(t, 2, 2, false);
    await expect.poll(() => commits.length).toBe(2);
    commits[1]!.reject(new TickstreamError('STORE_ERROR', 'the commit failed', { retryable: true }));
    const err = await outcome;
    expect((err as Error).message).toBe('the commit failed');
    expect(await ackFloor()).toBe(first);
    expect(handled).toEqual([[1], [2]]);
    await jsm.streams.delete(t.stream);
  });

  it('error: the consumer deleted under the feed is a retryable LEDGER_ERROR naming it', async () => {
    const t = await freshTarget();
    const feed = startFeed(t, 0);
    await publishBlocks(t, 1, 1, true);
    await expect.poll(() => feed.batches.length, { timeout: 10_000 }).toBe(1);
    // the feed may fail before the delete's own answer arrives: its outcome is taken first
    const outcome = feed.done.then(
      () => expect.unreachable('the feed went on'),
      (e: unknown) => e,
    );
    await jsm.consumers.delete(t.stream, t.durable);
    const err = await outcome;
    expect(err).toBeInstanceOf(TickstreamError);
    expect((err as TickstreamError).code).toBe('LEDGER_ERROR');
    expect((err as TickstreamError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/feedtest: 409/);
    await jsm.streams.delete(t.stream);
  });
});
