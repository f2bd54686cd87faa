import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type RunningDevnet, runWorkload, startDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase, freePort, type TestDatabase, waitFor } from '@tickstream/deploy/local';
import { type LedgerEntry, streamName } from '@tickstream/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from './support/env';
import { startFaultProxy } from './support/fault-proxy';
import { readStream, streamState } from './support/ledger';
import { chainLogKeys, expectLedgerEqualsChain as ledgerEqualsChain } from './support/oracle';
import { spawnService } from './support/process';

const SEED = Number(process.env.TEST_SEED ?? 20261121);
const TRANSACTIONS = 2_100;
const FINALITY = 12;

let devnet: RunningDevnet;
let nc: NatsConnection;
const dbs: TestDatabase[] = [];

async function headNumber(): Promise<number> {
  const r = await fetch(devnet.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  });
  return Number.parseInt(((await r.json()) as { result: string }).result, 16);
}

async function ingestEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const db = await createTestDatabase('ingest');
  dbs.push(db);
  return {
    RPC_URL: devnet.rpcUrl,
    CHAIN_ID: String(devnet.chainId),
    FACTORY_ADDRESS: devnet.addresses.factory,
    POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
    START_BLOCK: String(devnet.addresses.deployBlock),
    DATABASE_URL: db.url,
    NATS_URL: 'nats://127.0.0.1:4222',
    LEDGER_STREAM_PREFIX: prefix,
    FINALITY_DEPTH: String(FINALITY),
    BACKFILL_RANGE: '50',
    POLL_INTERVAL_MS: '50',
    PARTITIONS: '4',
    CONTROL_PLANE: 'none', // standalone: a reorg stops ingest (the coordinator's tests cover the rest)
    ...extra,
  };
}

/** Waits until the stream holds the last seal of block `block` (ingest has appended it whole). */
async function waitForBlock(prefix: string, block: number, timeoutMs = 120_000): Promise<void> {
  const stream = streamName(prefix, devnet.chainId);
  await waitFor(
    async () => {
      const { lastSeq } = await streamState(nc, stream).catch(() => ({ lastSeq: 0 }));
      if (lastSeq === 0) return false;
      const msg = await (await import('@nats-io/jetstream'))
        .jetstreamManager(nc)
        .then((m) => m.streams.getMessage(stream, { seq: lastSeq }));
      const e = JSON.parse(new TextDecoder().decode(msg!.data)) as LedgerEntry;
      return e.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= block;
    },
    { timeoutMs, what: `ledger ${prefix} to reach block ${block}` },
  );
}

/** The ledger equals the chain, one to one, up to `toBlock`; returns the number of logs compared. */
function expectLedgerEqualsChain(prefix: string, toBlock: number): Promise<number> {
  return ledgerEqualsChain(nc, devnet, prefix, toBlock);
}

beforeAll(async () => {
  devnet = await startDevnet({ port: await freePort(), genesisTimestamp: 1_700_000_000 });
  const report = await runWorkload(devnet, { seed: SEED, transactions: TRANSACTIONS, txPerBlock: 3 });
  expect(report.transactions).toBeGreaterThanOrEqual(2_000);
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
}, 600_000);

afterAll(async () => {
  await nc?.close();
  await devnet?.stop();
  for (const db of dbs) await db.drop();
});

describe('ingest against a real anvil, NATS and Postgres', () => {
  it('default: backfill then follow; the ledger equals eth_getLogs one to one', async () => {
    const prefix = uniquePrefix('full');
    const ingest = spawnService('ingest/src/main.ts', await ingestEnv(prefix, { RPC_WS_URL: devnet.wsUrl }));
    try {
      const head = await headNumber();
      await waitForBlock(prefix, head);
      const n = await expectLedgerEqualsChain(prefix, head);
      expect(n).toBeGreaterThan(2_000);
      expect(ingest.output()).toContain('backfill done');

      // Live traffic while following the head: new blocks arrive through newHeads.
      await runWorkload(devnet, { seed: SEED + 1, transactions: 60, txPerBlock: 2, continueFrom: true });
      const head2 = await headNumber();
      await waitForBlock(prefix, head2);
      await expectLedgerEqualsChain(prefix, head2);
    } finally {
      await ingest.kill();
    }
  });

  it('behavior: kill -9 in the middle of a backfill, restart: no gap, no duplicate', async () => {
    const prefix = uniquePrefix('kill');
    const proxy = await startFaultProxy(devnet.rpcUrl);
    // Slow every eth_getLogs a little so that the backfill is long enough to be cut in the middle.
    proxy.setRule((c) => (c.method === 'eth_getLogs' ? { kind: 'delay', ms: 15 } : { kind: 'pass' }));
    const env = await ingestEnv(prefix, { RPC_URL: proxy.url, BACKFILL_RANGE: '4' });
    const head = await headNumber();
    const total = (
      await chainLogKeys(devnet.rpcUrl, devnet.addresses.factory, devnet.addresses.positionManager, head)
    ).length;
    try {
      const first = spawnService('ingest/src/main.ts', env);
      const stream = streamName(prefix, devnet.chainId);
      await waitFor(
        async () => (await streamState(nc, stream).catch(() => ({ messages: 0 }))).messages > total / 3,
        {
          timeoutMs: 120_000,
          what: 'a third of the backfill',
        },
      );
      await first.kill('SIGKILL');
      const cut = await streamState(nc, stream);
      expect(cut.messages).toBeLessThan(total); // it really died mid-backfill

      const second = spawnService('ingest/src/main.ts', env);
      try {
        await second.waitForLine(/resuming from the ledger tail/);
        await waitForBlock(prefix, head);
        await expectLedgerEqualsChain(prefix, head);
      } finally {
        await second.kill();
      }
    } finally {
      await proxy.stop();
    }
  });

  it('behavior: RPC errors and malformed logs are retried with backoff and never reach the ledger', async () => {
    const prefix = uniquePrefix('faults');
    const proxy = await startFaultProxy(devnet.rpcUrl);
    let getLogsCalls = 0;
    proxy.setRule((c) => {
      if (c.method !== 'eth_getLogs') return { kind: 'pass' };
      getLogsCalls++;
      if (getLogsCalls % 7 === 1) return { kind: 'rpc-error', message: 'injected: upstream busy' };
      if (getLogsCalls % 7 === 3) return { kind: 'http-error', status: 502 };
      if (getLogsCalls % 7 === 5) {
        return {
          kind: 'rewrite',
          rewrite: (logs) =>
            Array.isArray(logs) && logs.length > 0
              ? [{ ...logs[0], blockHash: '0x1234' }, ...logs.slice(1)]
              : [{ bogus: true }],
        };
      }
      return { kind: 'pass' };
    });
    const ingest = spawnService('ingest/src/main.ts', await ingestEnv(prefix, { RPC_URL: proxy.url }));
    try {
      const head = await headNumber();
      await waitForBlock(prefix, head);
      await expectLedgerEqualsChain(prefix, head);
      expect(proxy.injected.get('rpc-error')).toBeGreaterThan(0);
      expect(proxy.injected.get('http-error')).toBeGreaterThan(0);
      expect(proxy.injected.get('rewrite')).toBeGreaterThan(0);
      expect(ingest.output()).toMatch(/RPC_MALFORMED/);
      expect(ingest.output()).toMatch(/rpc call failed, retrying/);
    } finally {
      await ingest.kill();
      await proxy.stop();
    }
  });

  it('behavior: SIGTERM while every RPC call fails and is being retried stops ingest at once, exit 0', async () => {
    const proxy = await startFaultProxy(devnet.rpcUrl);
    proxy.setRule(() => ({ kind: 'http-error', status: 502 }));
    const ingest = spawnService(
      'ingest/src/main.ts',
      await ingestEnv(uniquePrefix('stop'), { RPC_URL: proxy.url, RPC_MAX_RETRIES: '50' }),
    );
    try {
      await ingest.waitForLine(/"attempt":3,.*rpc call failed, retrying/);
      const t0 = performance.now();
      ingest.child.kill('SIGTERM');
      const exit = await ingest.exited;
      // before: the retries went on (backoff up to 5 s each) until the last one failed, exit 1
      expect(performance.now() - t0).toBeLessThan(2_000);
      expect(exit.code).toBe(0);
      expect(ingest.output()).toMatch(/"msg":"ingest stopped"/);
      expect(ingest.output()).not.toMatch(/"level":60/);
    } finally {
      await ingest.kill();
      await proxy.stop();
    }
  });

  it('behavior: its Postgres sessions terminated while it follows (as by a Postgres restart): ingest goes on, the ledger equals the chain', async () => {
    const prefix = uniquePrefix('pgkill');
    const env = await ingestEnv(prefix);
    const ingest = spawnService('ingest/src/main.ts', env);
    const admin = new pg.Client({ connectionString: env.DATABASE_URL });
    await admin.connect();
    try {
      await waitForBlock(prefix, await headNumber());
      const { rows } = await admin.query<{ pid: number }>(
        'SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      expect(rows.length).toBeGreaterThan(0); // ingest's pool held sessions, and they are gone
      await runWorkload(devnet, { seed: SEED + 5, transactions: 30, txPerBlock: 2, continueFrom: true });
      const head = await headNumber();
      await waitForBlock(prefix, head);
      expect(ingest.child.exitCode).toBeNull(); // before: the idle client's error event crashed it
      await expectLedgerEqualsChain(prefix, head);
      expect(ingest.output()).toMatch(/postgres connection lost/);
    } finally {
      await admin.end();
      await ingest.kill();
    }
  });

  it('error: a block whose parent hash does not match stops ingest with an error naming the block', async () => {
    const prefix = uniquePrefix('reorg');
    const head = await headNumber();
    const bad = head - 3; // inside the unfinalized window: ingest follows it header by header
    const proxy = await startFaultProxy(devnet.rpcUrl);
    proxy.setRule((c) =>
      c.method === 'eth_getBlockByNumber' && c.params[0] === `0x${bad.toString(16)}`
        ? { kind: 'rewrite', rewrite: (b) => ({ ...(b as object), parentHash: `0x${'ab'.repeat(32)}` }) }
        : { kind: 'pass' },
    );
    const ingest = spawnService('ingest/src/main.ts', await ingestEnv(prefix, { RPC_URL: proxy.url }));
    try {
      const exit = await ingest.exited;
      expect(exit.code).toBe(1);
      expect(ingest.output()).toContain(`reorg at block ${bad}`);
      expect(ingest.output()).toContain('REORG_DETECTED');
      const stored = await readStream(nc, streamName(prefix, devnet.chainId));
      expect(stored.some((s) => 'blockNumber' in s.entry && s.entry.blockNumber >= bad)).toBe(false);
      expect(stored.some((s) => 'blockNumber' in s.entry && s.entry.blockNumber === bad - 1)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it.each([
    ['RPC_URL', { RPC_URL: '' }],
    ['RPC_URL', { RPC_URL: 'localhost:8545' }],
    ['NATS_URL', { NATS_URL: 'http://127.0.0.1:4222' }],
    ['START_BLOCK', { START_BLOCK: 'ten' }],
  ])('error: bad config (%s) fails at start naming the setting', async (name, patch) => {
    const env = { ...(await ingestEnv(uniquePrefix('cfg'))), ...patch };
    const ingest = spawnService('ingest/src/main.ts', env);
    const exit = await ingest.exited;
    expect(exit.code).toBe(2);
    expect(ingest.output()).toContain(name);
    expect(ingest.output()).toContain('CONFIG_INVALID');
  });
});
