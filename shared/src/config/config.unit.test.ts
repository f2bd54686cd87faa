import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTickstreamError } from '../errors';
import { loadConfig } from './load';

const good = {
  RPC_URL: 'http://127.0.0.1:8545',
  FACTORY_ADDRESS: `0x${'a'.repeat(40)}`,
  POSITION_MANAGER_ADDRESS: `0x${'b'.repeat(40)}`,
};

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(isTickstreamError(err, 'CONFIG_INVALID')).toBe(true);
    return err as Error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('default: fills defaults and lowercases addresses', () => {
    const cfg = loadConfig('ingest', { ...good, FACTORY_ADDRESS: `0x${'A'.repeat(40)}` });
    expect(cfg.FACTORY_ADDRESS).toBe(`0x${'a'.repeat(40)}`);
    expect(cfg.START_BLOCK).toBe(0);
    expect(cfg.NATS_URL).toBe('nats://127.0.0.1:4222');
  });

  it.each([
    ['RPC_URL', { RPC_URL: undefined }, 'required by ingest'],
    ['RPC_URL', { RPC_URL: 'not a url' }, 'expected a URL'],
    ['RPC_URL', { RPC_URL: 'ftp://x' }, 'expected a URL'],
    ['NATS_URL', { NATS_URL: 'http://127.0.0.1:4222' }, 'expected a URL'],
    ['START_BLOCK', { START_BLOCK: '-1' }, 'at least 0'],
    ['START_BLOCK', { START_BLOCK: 'abc' }, 'whole number'],
    ['FACTORY_ADDRESS', { FACTORY_ADDRESS: '0x123' }, 'address'],
  ])('error: names %s', (name, patch, words) => {
    const err = errorOf(() => loadConfig('ingest', { ...good, ...patch }));
    expect(err.message).toContain(name);
    expect(err.message).toContain(words);
  });

  it('behavior: reads TICKSTREAM_CONFIG, environment wins', () => {
    const path = join(tmpdir(), `ts-config-${process.pid}.json`);
    writeFileSync(path, JSON.stringify({ ...good, START_BLOCK: 10, PARTITIONS: 8 }));
    const cfg = loadConfig('ingest', { TICKSTREAM_CONFIG: path, PARTITIONS: '2' });
    expect(cfg.START_BLOCK).toBe(10);
    expect(cfg.PARTITIONS).toBe(2);
  });

  it('error: a config file that is not JSON names TICKSTREAM_CONFIG', () => {
    const path = join(tmpdir(), `ts-config-bad-${process.pid}.json`);
    writeFileSync(path, '{nope');
    expect(errorOf(() => loadConfig('api', { TICKSTREAM_CONFIG: path })).message).toContain(
      'TICKSTREAM_CONFIG',
    );
  });
});
