import { describe, expect, it } from 'vitest';
import { loadRpcSettings } from './config';

describe('loadRpcSettings', () => {
  it('default: every setting has a default; RPC_URLS is unset', () => {
    expect(loadRpcSettings({})).toEqual({
      RPC_HEDGE_MS: 250,
      RPC_COOLDOWN_MS: 1_000,
      RPC_COOLDOWN_MAX_MS: 60_000,
      RPC_DEMOTE_MS: 300_000,
      BACKFILL_CONCURRENCY: 4,
      BACKFILL_TARGET_LOGS: 5_000,
      BACKFILL_MAX_LOGS: 20_000,
      BACKFILL_MAX_INFLIGHT_LOGS: 40_000,
    });
  });
  it('behavior: RPC_URLS is a JSON list of providers (or of URLs)', () => {
    const s = loadRpcSettings({
      RPC_URLS: '[{"url":"https://a.example/v3/key","weight":2,"maxRps":25},"ws://b.example"]',
    });
    expect(s.RPC_URLS).toEqual([
      { url: 'https://a.example/v3/key', weight: 2, maxRps: 25 },
      { url: 'ws://b.example' },
    ]);
  });
  it.each([
    ['RPC_URLS', { RPC_URLS: '[]' }],
    ['RPC_URLS', { RPC_URLS: '[{"url":"localhost:8545"}]' }],
    ['RPC_URLS', { RPC_URLS: '[{"url":"http://a","weigth":2}]' }],
    ['BACKFILL_CONCURRENCY', { BACKFILL_CONCURRENCY: '0' }],
    ['BACKFILL_MAX_LOGS', { BACKFILL_TARGET_LOGS: '100', BACKFILL_MAX_LOGS: '10' }],
  ])('error: a bad %s is CONFIG_INVALID naming it', (name, env) => {
    expect(() => loadRpcSettings(env)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(name) }),
    );
  });
});
