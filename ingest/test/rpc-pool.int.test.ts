import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  cachedState,
  createRng,
  findFreePort,
  type RunningDevnet,
  startDevnet,
} from '@tickstream/deploy/devnet';
import { createTestDatabase, type TestDatabase, waitFor } from '@tickstream/deploy/local';
import { createLogger, type LedgerEntry, loadConfig, streamName } from '@tickstream/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { backfill } from '../src/backfill';
import { connectLedger, ensureStream } from '../src/publish';
import { createRpcClient, type ProviderSpec, type RpcClient, type RpcSettings } from '../src/rpc';
import { resume, routeContextOf } from '../src/service';
import { uniquePrefix } from './support/env';
import { type FaultProxy, type RpcCall, startFaultProxy } from './support/fault-proxy';
import { streamState } from './support/ledger';
import { expectLedgerEqualsChain as ledgerEqualsChain } from './support/oracle';
import { spawnService } from './support/process';

const SEED = Number(process.env.TEST_SEED ?? 20261122);
const FINALITY = 12;
const TIMEOUT_MS = 1_000;

let devnet: RunningDevnet;
let nc: NatsConnection;
let head: number;
const dbs: TestDatabase[] = [];
const proxies: FaultProxy[] = [];
const log = createLogger('rpc-pool-test', process.env.TEST_LOG_LEVEL ?? 'silent');

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const r = await fetch(devnet.rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await r.json()) as { result: T }).result;
}

async function proxy(rule: (call: RpcCall) => ReturnType<Parameters<FaultProxy['setRule']>[0]>) {
  const p = await startFaultProxy(devnet.rpcUrl);
  p.setRule(rule);
  proxies.push(p);
  return p;
}

/** `[from, to]` of an eth_getLogs call by range, or null. */
function rangeOf(call: RpcCall): { from: number; to: number } | null {
  const f = call.params[0] as { fromBlock?: string; toBlock?: string } | undefined;
  if (call.method !== 'eth_getLogs' || f?.fromBlock === undefined || f.toBlock === undefined) return null;
  return { from: Number.parseInt(f.fromBlock, 16), to: Number.parseInt(f.toBlock, 16) };
}

/** The ledger equals the chain, one to one, up to `toBlock`; returns the number of logs compared. */
function expectLedgerEqualsChain(prefix: string, toBlock: number): Promise<number> {
  return ledgerEqualsChain(nc, devnet, prefix, toBlock);
}

/**
 * Runs the backfill in this process over `providers`, from the deploy block to the head, and returns
 * the client (for its pool's health) and the stream prefix.
 */
async function backfillThrough(
  providers: readonly ProviderSpec[],
  settings: Partial<RpcSettings> & { BACKFILL_RANGE?: number },
  pool: { hedgeMs?: number; cooldownMs?: number; demoteMs?: number } = {},
): Promise<{ client: RpcClient; prefix: string }> {
  const db = await createTestDatabase('rpcpool');
  dbs.push(db);
  const prefix = uniquePrefix('pool');
  const cfg = {
    ...loadConfig('ingest', {
      RPC_URL: providers[0]!.url,
      RPC_TIMEOUT_MS: String(TIMEOUT_MS),
      FACTORY_ADDRESS: devnet.addresses.factory,
      POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
      START_BLOCK: String(devnet.addresses.deployBlock),
      DATABASE_URL: db.url,
      LEDGER_STREAM_PREFIX: prefix,
      FINALITY_DEPTH: String(FINALITY),
      BACKFILL_RANGE: String(settings.BACKFILL_RANGE ?? 20),
      RPC_MAX_RETRIES: '8',
      PARTITIONS: '4',
      LOG_LEVEL: 'silent',
    }),
    BACKFILL_CONCURRENCY: 4,
    BACKFILL_TARGET_LOGS: 5_000,
    BACKFILL_MAX_LOGS: 20_000,
    ...settings,
  };
  const client = createRpcClient({
    providers,
    timeoutMs: TIMEOUT_MS,
    hedgeMs: pool.hedgeMs ?? 100,
    cooldownMs: pool.cooldownMs ?? 500,
    maxCooldownMs: 10_000,
    demoteMs: pool.demoteMs ?? 600_000,
    log,
  });
  const pgPool = new pg.Pool({ connectionString: db.url, max: 4 });
  try {
    const jsm = await jetstreamManager(nc);
    const target = { prefix, chainId: cfg.CHAIN_ID };
    await ensureStream(jsm, target);
    const deps = { client, pg: pgPool, nc, jsm, log, cfg, route: routeContextOf(cfg), target };
    const state = await resume(deps);
    try {
      await backfill(deps, state, state.next, head, new AbortController().signal);
    } finally {
      state.writer.close();
    }
  } finally {
    await pgPool.end();
  }
  return { client, prefix };
}

beforeAll(async () => {
  const state = await cachedState({ seed: 11, transactions: 3_000, txPerBlock: 10 });
  devnet = await startDevnet({ port: await findFreePort(), loadState: state.path });
  head = Number.parseInt(await rpc<string>('eth_blockNumber'), 16);
  nc = await connectLedger('nats://127.0.0.1:4222', 'rpc-pool-test');
}, 600_000);

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await nc?.close();
  await devnet?.stop();
  for (const db of dbs) await db.drop();
});

describe('ingest over an RPC pool (real anvil behind fault proxies, NATS, Postgres)', () => {
  it('default: a flaky, a dead and a healthy provider; the ledger equals eth_getLogs one to one', async () => {
    onTestFailed(() => console.error(`rpc-pool: reproduce with TEST_SEED=${SEED}`));
    const rng = createRng(SEED);
    const flaky = await proxy(() =>
      rng.chance(0.3)
        ? rng.chance(0.5)
          ? { kind: 'rpc-error', message: 'injected: upstream busy' }
          : { kind: 'http-error', status: 503 }
        : { kind: 'pass' },
    );
    const dead = await proxy(() => ({ kind: 'hang' }));
    const healthy = await proxy(() => ({ kind: 'pass' }));
    const { client, prefix } = await backfillThrough(
      [{ url: flaky.url }, { url: dead.url }, { url: healthy.url }],
      { BACKFILL_RANGE: 10 },
    );
    const n = await expectLedgerEqualsChain(prefix, head);
    expect(n).toBeGreaterThan(3_000);

    const [f, d, h] = client.pool.snapshot();
    expect((flaky.injected.get('rpc-error') ?? 0) + (flaky.injected.get('http-error') ?? 0)).toBeGreaterThan(
      0,
    );
    expect(f!.counts.rpc + f!.counts.transport).toBeGreaterThan(0);
    expect(f!.counts.ok).toBeGreaterThan(0); // still used, between its failures
    expect(dead.injected.get('hang')).toBeGreaterThan(0);
    expect(d!.counts.timeout).toBe(dead.injected.get('hang'));
    expect(d!.counts.ok).toBe(0);
    expect(h!.counts.ok).toBeGreaterThan(f!.counts.ok); // the healthy one scores best
    expect(h!.errorRate).toBe(0);
  });

  it('behavior: a provider whose log has a wrong block hash is demoted and the range is fetched from another', async () => {
    const rewritten: string[] = [];
    const liar = await proxy((call) =>
      call.method === 'eth_getLogs'
        ? {
            kind: 'rewrite',
            rewrite: (result) => {
              const logs = result as { blockNumber: string; blockHash: string }[];
              // A log whose block has another log in the answer: its twin keeps the real hash.
              const at = logs.findIndex((l, i) => i > 0 && logs[i - 1]!.blockNumber === l.blockNumber);
              if (at < 0) return result;
              rewritten.push(JSON.stringify(call.params));
              return logs.map((l, i) => (i === at ? { ...l, blockHash: `0x${'ee'.repeat(32)}` } : l));
            },
          }
        : { kind: 'pass' },
    );
    const asked = new Set<string>();
    const honest = await proxy((call) => {
      if (call.method === 'eth_getLogs') asked.add(JSON.stringify(call.params));
      return { kind: 'pass' };
    });
    // The liar weighs 100: it is asked first until it is caught.
    const { client, prefix } = await backfillThrough(
      [
        { url: liar.url, weight: 100 },
        { url: honest.url, weight: 1 },
      ],
      { BACKFILL_RANGE: 10, BACKFILL_CONCURRENCY: 2 },
    );
    await expectLedgerEqualsChain(prefix, head);

    const [l, h] = client.pool.snapshot();
    expect(rewritten.length).toBeGreaterThanOrEqual(1);
    expect(l).toMatchObject({ state: 'demoted', demotions: rewritten.length });
    expect(l!.counts['bad-data']).toBe(rewritten.length);
    // Every rewritten question was asked again of the honest provider ...
    for (const q of rewritten) expect(asked.has(q)).toBe(true);
    // ... and the liar got no more questions once demoted (at most the ones already in flight).
    expect(liar.seen.get('eth_getLogs')!).toBeLessThanOrEqual(rewritten.length + 2);
    expect(h!.counts.ok).toBeGreaterThan(10 * l!.counts.ok);
  });

  it('behavior: "query returned more than 10000 results" above N blocks splits ranges; the backfill still completes exactly', async () => {
    const N = 16;
    let widest = 0;
    const limited = await proxy((call) => {
      const r = rangeOf(call);
      if (r === null) return { kind: 'pass' };
      if (r.to - r.from + 1 > N)
        return { kind: 'rpc-error', message: 'query returned more than 10000 results' };
      widest = Math.max(widest, r.to - r.from + 1);
      return { kind: 'pass' };
    });
    const { client, prefix } = await backfillThrough([{ url: limited.url }], { BACKFILL_RANGE: 200 });
    await expectLedgerEqualsChain(prefix, head);

    const refused = limited.injected.get('rpc-error') ?? 0;
    const answered = client.pool.snapshot()[0]!.counts.ok;
    expect(refused).toBeGreaterThan(0);
    expect(widest).toBeLessThanOrEqual(N);
    expect(widest).toBeGreaterThan(N / 2); // split, not shredded
    // The sizer learns: most ranges are asked at a size the provider accepts.
    expect(refused).toBeLessThan(answered / 2);
    expect(client.pool.snapshot()[0]!.state).toBe('ready'); // no provider is blamed for it
  });

  it('behavior: BACKFILL_MAX_INFLIGHT_LOGS bounds the logs fetched ahead of the ledger; the backfill still completes exactly', async () => {
    let inflight = 0;
    let most = 0;
    const counting = await proxy((call) => {
      if (call.method !== 'eth_getLogs') return { kind: 'pass' };
      most = Math.max(most, ++inflight);
      return {
        kind: 'rewrite',
        rewrite: (result) => {
          inflight--;
          return result;
        },
      };
    });
    // A budget of one log: a range is asked for only when nothing else waits to be appended.
    const { prefix } = await backfillThrough([{ url: counting.url }], {
      BACKFILL_RANGE: 10,
      BACKFILL_CONCURRENCY: 4,
      BACKFILL_MAX_INFLIGHT_LOGS: 1,
    });
    await expectLedgerEqualsChain(prefix, head);
    expect(most).toBe(1);
  });

  it('behavior: a provider that rate-limits (HTTP 429 above 30 calls/s) is slowed down; the backfill completes exactly', async () => {
    const LIMIT = 30;
    const accepted: number[] = [];
    const stingy = await proxy(() => {
      const now = Date.now();
      while (accepted.length > 0 && accepted[0]! <= now - 1_000) accepted.shift();
      if (accepted.length >= LIMIT) return { kind: 'http-error', status: 429 };
      accepted.push(now);
      return { kind: 'pass' };
    });
    const { client, prefix } = await backfillThrough([{ url: stingy.url }], {
      BACKFILL_RANGE: 3,
      BACKFILL_CONCURRENCY: 8,
    });
    await expectLedgerEqualsChain(prefix, head);
    const [s] = client.pool.snapshot();
    const limited = stingy.injected.get('http-error') ?? 0;
    expect(limited).toBeGreaterThan(0);
    expect(s!.counts['rate-limit']).toBe(limited);
    expect(s!.rateLimit).not.toBeNull(); // the bucket took over from "unlimited"
    expect(limited).toBeLessThan(s!.counts.ok / 3); // it adapted rather than hammering
  });

  it('behavior: the service over RPC_URLS follows the head while one provider never answers eth_blockNumber', async () => {
    const mute = await proxy((call) =>
      call.method === 'eth_blockNumber' ? { kind: 'hang' } : { kind: 'pass' },
    );
    const healthy = await proxy(() => ({ kind: 'pass' }));
    const db = await createTestDatabase('rpcpool');
    dbs.push(db);
    const prefix = uniquePrefix('poolsvc');
    const ingest = spawnService('ingest/src/main.ts', {
      RPC_URL: healthy.url,
      RPC_URLS: JSON.stringify([{ url: mute.url, weight: 10 }, { url: healthy.url }]),
      RPC_TIMEOUT_MS: '5000',
      RPC_HEDGE_MS: '50',
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
      CONTROL_PLANE: 'none',
    });
    onTestFailed(() => console.error(ingest.output().slice(-6_000)));
    try {
      const stream = streamName(prefix, devnet.chainId);
      const reached = async (block: number) => {
        const { lastSeq } = await streamState(nc, stream).catch(() => ({ lastSeq: 0 }));
        if (lastSeq === 0) return false;
        const jsm = await jetstreamManager(nc);
        const msg = await jsm.streams.getMessage(stream, { seq: lastSeq });
        const e = JSON.parse(new TextDecoder().decode(msg!.data)) as LedgerEntry;
        return e.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= block;
      };
      await waitFor(() => reached(head), { timeoutMs: 60_000, what: `ledger ${prefix} at block ${head}` });
      // New blocks: each is seen through hedged eth_blockNumber reads, well within the 5 s timeout.
      for (let i = 0; i < 3; i++) {
        await rpc('evm_mine');
        const started = Date.now();
        await waitFor(() => reached(head + i + 1), { timeoutMs: 30_000, what: `block ${head + i + 1}` });
        expect(Date.now() - started).toBeLessThan(4_000);
      }
      expect(ingest.output()).toContain('backfill done');
      expect(mute.injected.get('hang')).toBeGreaterThan(0);
      await expectLedgerEqualsChain(prefix, head + 3);
    } finally {
      await ingest.kill();
      head = Number.parseInt(await rpc<string>('eth_blockNumber'), 16);
    }
  });

  it.each([
    ['RPC_URLS', { RPC_URLS: '[{"url":"localhost:8545"}]' }],
    ['RPC_URLS', { RPC_URLS: 'not json' }],
    ['BACKFILL_CONCURRENCY', { BACKFILL_CONCURRENCY: '0' }],
  ])('error: a bad pool setting (%s) fails at start naming it', async (name, patch) => {
    const ingest = spawnService('ingest/src/main.ts', {
      RPC_URL: devnet.rpcUrl,
      FACTORY_ADDRESS: devnet.addresses.factory,
      POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
      CONTROL_PLANE: 'none',
      ...patch,
    });
    const exit = await ingest.exited;
    expect(exit.code).toBe(2);
    expect(ingest.output()).toContain(name);
    expect(ingest.output()).toContain('CONFIG_INVALID');
  });
});
