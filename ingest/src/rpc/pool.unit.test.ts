import { isTickstreamError, TickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { isRangeTooLarge } from './classify';
import { RpcPool } from './pool';
import type { PoolOptions } from './pool-types';
import { ProviderCallError, type ProviderTransport } from './transport';

type Handler = (method: string, params: readonly unknown[]) => unknown | Promise<unknown>;

/** An in-memory provider: answers with `handler`, counts calls by method. */
function fake(handler: Handler) {
  const calls: string[] = [];
  const transport: ProviderTransport = {
    send: async (method, params) => {
      calls.push(method);
      return handler(method, params);
    },
  };
  return { transport, calls };
}

const opts: PoolOptions = {
  timeoutMs: 1_000,
  hedgeMs: 20,
  cooldownMs: 1_000,
  maxCooldownMs: 10_000,
  demoteMs: 60_000,
};

function poolOf(...providers: ReturnType<typeof fake>[]): RpcPool {
  return new RpcPool(
    providers.map((p, i) => ({ spec: { url: `http://p${i}.test` }, transport: p.transport })),
    opts,
  );
}

const rpcError = (message: string) => () => {
  throw new ProviderCallError(message, { rpcCode: -32000 });
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('RpcPool', () => {
  it('default: a failing provider is skipped at once for the next one, and cools down', async () => {
    const a = fake(rpcError('upstream busy'));
    const b = fake(() => '0x10');
    const pool = poolOf(a, b);
    expect(await pool.request('eth_chainId', [])).toBe('0x10');
    expect(await pool.request('eth_chainId', [])).toBe('0x10');
    expect(a.calls.length + b.calls.length).toBe(3);
    const [sa, sb] = pool.snapshot();
    expect(sa).toMatchObject({ state: 'cooling', counts: { rpc: 1 } });
    expect(sb).toMatchObject({ state: 'ready', counts: { ok: 2 } });
  });

  it('behavior: an answer that fails its check demotes the provider and is asked of another', async () => {
    const a = fake(() => 'bad');
    const b = fake(() => 'good');
    const pool = poolOf(a, b);
    const check = (raw: unknown) => {
      if (raw !== 'good') throw new TickstreamError('RPC_INCONSISTENT', 'two hashes', { retryable: true });
      return raw;
    };
    expect(await pool.request('eth_getLogs', [], { check })).toBe('good');
    expect(await pool.request('eth_getLogs', [], { check })).toBe('good');
    expect(a.calls).toHaveLength(1); // demoted: not asked again
    expect(pool.snapshot()[0]).toMatchObject({ state: 'demoted', demotions: 1, errorRate: 1 });
  });

  it('behavior: with every provider failing, the last failure is thrown, retryable, naming the provider', async () => {
    const pool = poolOf(fake(rpcError('busy a')), fake(rpcError('busy b')));
    const err = await failure(pool.request('eth_chainId', [], { what: 'chain id' }));
    expect(isTickstreamError(err, 'RPC_ERROR')).toBe(true);
    expect((err as TickstreamError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/chain id failed at #\d p\d\.test/);
  });

  it('behavior: a lone provider cooling down is still asked (the caller retries over time)', async () => {
    let n = 0;
    const a = fake(() => {
      if (n++ === 0) throw new ProviderCallError('HTTP 502', { status: 502 });
      return 'ok';
    });
    const pool = poolOf(a);
    await failure(pool.request('x', []));
    expect(pool.snapshot()[0]!.state).toBe('cooling');
    expect(await pool.request('x', [])).toBe('ok');
  });

  it('behavior: "range too large" is thrown at once for the caller to split, blaming no one', async () => {
    const a = fake(rpcError('query returned more than 10000 results'));
    const b = fake(() => []);
    const pool = poolOf(a, b);
    const err = await failure(pool.request('eth_getLogs', []));
    expect(isRangeTooLarge(err)).toBe(true);
    expect(b.calls).toHaveLength(0);
    expect(pool.snapshot()[0]).toMatchObject({ state: 'ready', errorRate: 0 });
  });

  it('behavior: a 429 halves the provider rate and the call goes elsewhere', async () => {
    const a = fake(() => {
      throw new ProviderCallError('HTTP 429: Too Many Requests', { status: 429 });
    });
    const b = fake(() => 'ok');
    const pool = poolOf(a, b);
    for (let i = 0; i < 5; i++) await pool.request('x', []);
    expect(await pool.request('x', [])).toBe('ok');
    expect(pool.snapshot()[0]!.rateLimit).not.toBeNull();
    expect(pool.snapshot()[0]!.counts['rate-limit']).toBeGreaterThan(0);
  });

  it('behavior: a hedged read asks a second provider when the first is slow; the first answer wins', async () => {
    const a = fake(async () => {
      await sleep(300);
      return '0x1';
    });
    const b = fake(() => '0x2');
    const pool = new RpcPool(
      [
        { spec: { url: 'http://a.test', weight: 100 }, transport: a.transport }, // asked first
        { spec: { url: 'http://b.test' }, transport: b.transport },
      ],
      opts,
    );
    const started = Date.now();
    expect(await pool.request('eth_blockNumber', [], { hedge: true })).toBe('0x2');
    expect(Date.now() - started).toBeLessThan(250);
    expect(a.calls).toEqual(['eth_blockNumber']);
    expect(b.calls).toEqual(['eth_blockNumber']);
  });

  it('behavior: a hedged read whose first provider fails asks the next at once', async () => {
    const a = fake(rpcError('busy'));
    const b = fake(() => '0x2');
    const pool = new RpcPool(
      [
        { spec: { url: 'http://a.test', weight: 100 }, transport: a.transport },
        { spec: { url: 'http://b.test' }, transport: b.transport },
      ],
      { ...opts, hedgeMs: 10_000 },
    );
    const started = Date.now();
    expect(await pool.request('eth_blockNumber', [], { hedge: true })).toBe('0x2');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('behavior: a head lower than what the same provider said before demotes it', async () => {
    let head = 10;
    const a = fake(() => `0x${(head--).toString(16)}`);
    const b = fake(() => '0x20');
    const pool = new RpcPool(
      [
        { spec: { url: 'http://a.test', weight: 100 }, transport: a.transport },
        { spec: { url: 'http://b.test' }, transport: b.transport },
      ],
      { ...opts, hedgeMs: 10_000 },
    );
    const read = () =>
      pool.request('eth_blockNumber', [], {
        hedge: true,
        check: (raw) => Number.parseInt(String(raw).slice(2), 16),
        headOf: (n) => n,
      });
    expect(await read()).toBe(10);
    expect(await read()).toBe(32); // `a` said 9 after 10: demoted, `b` answered
    expect(pool.snapshot()[0]).toMatchObject({ state: 'demoted', head: 9 });
  });

  it('behavior: providers known to be behind the block asked about come last', async () => {
    const a = fake((m) => (m === 'eth_blockNumber' ? '0x5' : 'from a'));
    const b = fake((m) => (m === 'eth_blockNumber' ? '0x10' : 'from b'));
    const pool = new RpcPool(
      [
        { spec: { url: 'http://a.test', weight: 100 }, transport: a.transport },
        { spec: { url: 'http://b.test' }, transport: b.transport },
      ],
      opts,
    );
    const head = {
      check: (raw: unknown) => Number.parseInt(String(raw).slice(2), 16),
      headOf: (n: number) => n,
    };
    await pool.request('eth_blockNumber', [], head); // a: 5
    await pool.request('eth_blockNumber', [], { ...head, minBlock: 6 }); // b: 16
    expect(await pool.request('eth_getLogs', [], { minBlock: 12 })).toBe('from b');
    expect(await pool.request('eth_getLogs', [], { minBlock: 5 })).toBe('from a');
  });

  it('behavior: a provider is asked its head before a call about a later block; one behind fails over', async () => {
    const a = fake((m) => (m === 'eth_blockNumber' ? '0x5' : 'from a'));
    const b = fake((m) => (m === 'eth_blockNumber' ? '0x10' : 'from b'));
    const pool = new RpcPool(
      [
        { spec: { url: 'http://a.test', weight: 100 }, transport: a.transport },
        { spec: { url: 'http://b.test' }, transport: b.transport },
      ],
      opts,
    );
    expect(await pool.request('eth_getLogs', [], { minBlock: 12 })).toBe('from b');
    expect(a.calls).toEqual(['eth_blockNumber']); // asked, found behind, skipped
    expect(pool.snapshot()[0]).toMatchObject({ head: 5, state: 'cooling' });
    expect(await pool.request('eth_getLogs', [], { minBlock: 12 })).toBe('from b');
    expect(b.calls).toEqual(['eth_blockNumber', 'eth_getLogs', 'eth_getLogs']); // its head is known now
  });
});
