/**
 * `npm run bench:fold`: the projector's CPU work on a ledger with no servers in the timed loop: the
 * bench ledger's raw messages (as JetStream delivers them) are read into memory first, then decoded,
 * assembled into blocks, folded, accumulated in batches of BENCH_BATCH_ENTRIES entries and turned into
 * the COPY lines a commit would send, BENCH_ROUNDS times (fresh models each round). Prints µs per entry
 * and the time in garbage collection: the steady figure to compare a change of the fold by, where a
 * whole-pipeline bench moves with whatever else the 2 cores run. Last line:
 * {"usPerEntry","gcPercent","entries"}.
 *
 * Ledger: the same one `bench:project` builds and reuses (BENCH_SEED, BENCH_TRANSACTIONS).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { allPartitions, decodeEntry, type Partition, partitionSubject, streamName } from '@tickstream/shared';
import { accumulate, applyBlock, createBatch, createPartitionModel } from '../src/apply';
import { BlockAssembler, type SealedBlock } from '../src/consume';
import { eventLine, poolHistoryLine, positionHistoryLine, tickHistoryLine } from '../src/store/copy-rows';
import { benchLedger } from './ledger';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 150_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const BATCH = Number(process.env.BENCH_BATCH_ENTRIES ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const ledger = await benchLedger(nc, {
  seed: SEED,
  transactions: TRANSACTIONS,
  txPerBlock: 100,
  partitions: PARTITIONS,
});
const stream = streamName(ledger.prefix, ledger.chainId);
const js = jetstream(nc);
const jsm = await jetstreamManager(nc);

/** Every message of a partition's subject, in order: [seq, data]. */
async function read(partition: Partition): Promise<[number, Uint8Array][]> {
  const subject = partitionSubject(ledger.prefix, ledger.chainId, partition);
  const name = `foldbench_${Date.now()}_${String(partition)}`;
  await jsm.consumers.add(stream, {
    name,
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
  });
  const consumer = await js.consumers.get(stream, name);
  const info = await consumer.info();
  const total = info.num_pending;
  const out: [number, Uint8Array][] = [];
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    out.push([m.seq, m.data]);
    if (out.length >= total) break;
  }
  await messages.close();
  await jsm.consumers.delete(stream, name);
  return out;
}

const partitions = allPartitions(PARTITIONS);
const messages = new Map<Partition, [number, Uint8Array][]>();
for (const p of partitions) messages.set(p, await read(p));
const entries = [...messages.values()].reduce((n, m) => n + m.length, 0);
console.log(`ledger ${stream}: ${entries} entries in memory`);
await nc.close();

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

let sink = 0; // keeps the lines from being optimised away
function round(): void {
  for (const p of partitions) {
    const model = createPartitionModel(ledger.chainId, p);
    const asm = new BlockAssembler(0);
    let batch = createBatch(ledger.chainId, p);
    let inBatch = 0;
    const flush = () => {
      const s = String(p);
      for (const r of batch.poolHistory) sink += poolHistoryLine(ledger.chainId, r, 'confirmed').length;
      for (const r of batch.tickHistory) sink += tickHistoryLine(ledger.chainId, r, 'confirmed').length;
      for (const r of batch.positionHistory)
        sink += positionHistoryLine(ledger.chainId, r, 'confirmed').length;
      for (const r of batch.events) sink += eventLine(ledger.chainId, s, r, 'confirmed').length;
      batch = createBatch(ledger.chainId, p);
      inBatch = 0;
    };
    for (const [seq, data] of messages.get(p)!) {
      for (const unit of asm.push(seq, decodeEntry(data))) {
        if (unit.kind === 'block') accumulate(batch, applyBlock(model, unit as SealedBlock));
      }
      if (++inBatch >= BATCH) flush();
    }
    flush();
  }
}

round(); // warm-up: code compiled, caches filled as a running projector has them
const results: number[] = [];
const gcShares: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  gcMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  round();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((resolve) => setTimeout(resolve, 50)); // the GC entries are delivered as tasks
  const us = (cpu.user + cpu.system) / entries;
  results.push(us);
  gcShares.push((100 * gcMs) / wall);
  console.log(
    `round ${r + 1}: ${us.toFixed(2)} µs CPU per entry, ${wall.toFixed(0)} ms, GC ${((100 * gcMs) / wall).toFixed(1)} %`,
  );
}
const best = Math.min(...results);
const gcPercent = Number(gcShares[results.indexOf(best)]!.toFixed(1));
console.log(
  `best of ${ROUNDS}: ${best.toFixed(2)} µs per entry (decode, assemble, fold, accumulate, COPY lines)`,
);
console.log(JSON.stringify({ usPerEntry: Number(best.toFixed(2)), gcPercent, entries, sink: sink > 0 }));
