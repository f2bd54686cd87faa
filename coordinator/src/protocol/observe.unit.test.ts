import { describe, expect, test } from 'vitest';
import { keysFor } from '../layout';
import { type Change, wakesLeader } from './observe';

const k = keysFor(31337);
const status = (state: string) =>
  JSON.stringify({
    state,
    block: 1,
    heartbeatAt: '2025-01-01T00:00:00.000Z',
    lastToken: 0,
    lastReorgId: null,
  });
const put = (key: string, value = '{}', createRevision = 5, modRevision = 9): Change => ({
  type: 'put',
  key,
  value,
  createRevision,
  modRevision,
});
const del = (key: string): Change => ({ type: 'delete', key, value: '', createRevision: 0, modRevision: 9 });

describe('wakesLeader', () => {
  test('default: acks, reports and operator requests wake the leader', () => {
    expect(wakesLeader(k, put(k.ack('r1', 'suspend', 'api', 'a0')))).toBe(true);
    expect(wakesLeader(k, put(k.report('r2')))).toBe(true);
    expect(wakesLeader(k, put(k.request('rollback')))).toBe(true);
    expect(wakesLeader(k, put(k.request('resign')))).toBe(true);
  });

  test('behavior: a module that registers, disappears or halts wakes it; a status refresh does not', () => {
    expect(wakesLeader(k, put(k.module('ingest', 'i0'), status('running'), 9, 9))).toBe(true);
    expect(wakesLeader(k, del(k.module('ingest', 'i0')))).toBe(true);
    expect(wakesLeader(k, put(k.module('ingest', 'i0'), status('halted')))).toBe(true);
    expect(wakesLeader(k, put(k.module('ingest', 'i0'), status('suspended')))).toBe(false);
    expect(wakesLeader(k, put(k.module('ingest', 'i0'), status('running')))).toBe(false);
  });

  test("behavior: the leader's own keys and deletions do not wake it", () => {
    expect(wakesLeader(k, put(k.current))).toBe(false);
    expect(wakesLeader(k, put(k.broadcast('api')))).toBe(false);
    expect(wakesLeader(k, put(k.historyOf('r1')))).toBe(false);
    expect(wakesLeader(k, put(k.heartbeat))).toBe(false);
    expect(wakesLeader(k, put(k.paused))).toBe(false);
    expect(wakesLeader(k, del(k.report('r2')))).toBe(false);
    expect(wakesLeader(k, del(k.request('pause')))).toBe(false);
    expect(wakesLeader(k, del(`${k.acksOf('r1')}suspend/api/a0`))).toBe(false);
  });
});
