/**
 * The bench's ledger: built once from a cached devnet state by a real ingest process, then reused by
 * later runs (the stream stays in NATS; a marker file in `.data/bench/` says it is complete).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { cachedState, findFreePort, startDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase, DATA_ROOT, waitFor } from '@tickstream/deploy/local';
import { type LedgerEntry, streamName } from '@tickstream/shared';
import { spawnService } from '../../ingest/test/support/process';

export interface BenchLedger {
  readonly prefix: string;
  readonly chainId: number;
  readonly head: number;
  /** Stream messages: logs and seals. */
  readonly entries: number;
  readonly lastSeq: number;
  readonly built: boolean;
}

export interface LedgerSpec {
  readonly seed: number;
  readonly transactions: number;
  readonly txPerBlock: number;
  readonly partitions: number;
}

async function rpcHead(url: string): Promise<number> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  });
  return Number.parseInt(((await r.json()) as { result: string }).result, 16);
}

/**
 * The ledger of `spec`: reused when a previous run left it complete, else built (cached devnet state →
 * ingest child process → JetStream) and marked.
 *
 * @example
 * const ledger = await benchLedger(nc, { seed: 1, transactions: 50_000, txPerBlock: 100, partitions: 4 });
 */
export async function benchLedger(nc: NatsConnection, spec: LedgerSpec): Promise<BenchLedger> {
  const key = `s${spec.seed}-t${spec.transactions}-b${spec.txPerBlock}-p${spec.partitions}`;
  const prefix = `PBENCH_${key.replaceAll('-', '_').toUpperCase()}`;
  const markerPath = join(DATA_ROOT, 'bench', `projector-ledger-${key}.json`);
  const jsm = await jetstreamManager(nc);
  const marker = await readFile(markerPath, 'utf8')
    .then((t) => JSON.parse(t) as BenchLedger)
    .catch(() => undefined);
  if (marker !== undefined) {
    const info = await jsm.streams.info(streamName(prefix, marker.chainId)).catch(() => undefined);
    if (info?.state.last_seq === marker.lastSeq) return { ...marker, built: false };
    if (info !== undefined) await jsm.streams.delete(streamName(prefix, marker.chainId));
  }

  const state = await cachedState({
    seed: spec.seed,
    transactions: spec.transactions,
    txPerBlock: spec.txPerBlock,
  });
  const devnet = await startDevnet({ port: await findFreePort(), loadState: state.path });
  const db = await createTestDatabase('bench_ingest');
  const stream = streamName(prefix, devnet.chainId);
  await jsm.streams.delete(stream).catch(() => false);
  const ingest = spawnService('ingest/src/main.ts', {
    RPC_URL: devnet.rpcUrl,
    CHAIN_ID: String(devnet.chainId),
    FACTORY_ADDRESS: devnet.addresses.factory,
    POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
    START_BLOCK: String(devnet.addresses.deployBlock),
    DATABASE_URL: db.url,
    LEDGER_STREAM_PREFIX: prefix,
    PARTITIONS: String(spec.partitions),
    BACKFILL_RANGE: '25',
    CONTROL_PLANE: 'none',
    LOG_LEVEL: 'warn',
  });
  try {
    const head = await rpcHead(devnet.rpcUrl);
    await waitFor(
      async () => {
        if (ingest.child.exitCode !== null)
          throw new Error(`ingest exited:\n${ingest.output().slice(-3000)}`);
        const info = await jsm.streams.info(stream);
        if (info.state.last_seq === 0) return false;
        const msg = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
        const e = JSON.parse(new TextDecoder().decode(msg!.data)) as LedgerEntry;
        return e.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= head;
      },
      { timeoutMs: 1_800_000, what: `ingest to append block ${head}`, maxIntervalMs: 1_000 },
    );
    await ingest.kill();
    const info = await jsm.streams.info(stream);
    const ledger: BenchLedger = {
      prefix,
      chainId: devnet.chainId,
      head,
      entries: info.state.messages,
      lastSeq: info.state.last_seq,
      built: true,
    };
    await mkdir(join(DATA_ROOT, 'bench'), { recursive: true });
    await writeFile(markerPath, JSON.stringify(ledger));
    return ledger;
  } finally {
    await ingest.kill();
    await devnet.stop();
    await db.drop();
  }
}
