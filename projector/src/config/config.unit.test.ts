import { isTickstreamError, loadConfig } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { assignmentOf, crashAfterCommit, selectPartitions } from './index';

describe('projector settings (shared schema)', () => {
  it('default: every setting has a default', () => {
    expect(loadConfig('projector', {})).toMatchObject({
      PROJECTOR_PARTITIONS: 'all',
      PROJECTOR_BATCH_ENTRIES: 5000,
      PROJECTOR_CONSUMER_NAME: 'projector',
      PROJECTOR_PROGRESS_INTERVAL_MS: 5000,
    });
  });

  it.each([
    ['PROJECTOR_PARTITIONS', { PROJECTOR_PARTITIONS: '0,,1' }],
    ['PROJECTOR_BATCH_ENTRIES', { PROJECTOR_BATCH_ENTRIES: '0' }],
    ['PROJECTOR_FAULT', { PROJECTOR_FAULT: 'crash-after-commit:x' }],
    ['PROJECTOR_CONSUMER_NAME', { PROJECTOR_CONSUMER_NAME: 'a.b' }],
  ])('error: names %s', (name, env) => {
    try {
      loadConfig('projector', env);
      expect.unreachable();
    } catch (err) {
      expect(isTickstreamError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(name);
    }
  });
});

describe('selectPartitions', () => {
  it('default: all is every pool partition and tokens', () => {
    expect(selectPartitions('all', 3)).toEqual([0, 1, 2, 'tokens']);
  });

  it('behavior: a list picks partitions once each', () => {
    expect(selectPartitions('2,tokens,2', 4)).toEqual([2, 'tokens']);
  });

  it('error: a pool partition out of range', () => {
    expect(() => selectPartitions('4', 4)).toThrow(/partition 4 is out of range/);
  });
});

describe('crashAfterCommit', () => {
  it('default: reads n', () => {
    expect(crashAfterCommit('crash-after-commit:3')).toBe(3);
    expect(crashAfterCommit(undefined)).toBeUndefined();
  });
});

describe('assignmentOf', () => {
  const cfg = (env: Record<string, string>) => loadConfig('projector', env);

  it('default: etcd with the control plane and all partitions', () => {
    expect(assignmentOf(cfg({}))).toBe('etcd');
  });

  it('behavior: auto is static without the control plane or with a partition list', () => {
    expect(assignmentOf(cfg({ CONTROL_PLANE: 'none' }))).toBe('static');
    expect(assignmentOf(cfg({ PROJECTOR_PARTITIONS: '0,tokens' }))).toBe('static');
    expect(assignmentOf(cfg({ PROJECTOR_ASSIGNMENT: 'static' }))).toBe('static');
    expect(assignmentOf(cfg({ PROJECTOR_ASSIGNMENT: 'etcd', CONTROL_PLANE: 'none' }))).toBe('etcd');
  });

  it('error: etcd with a partition list', () => {
    expect(() => assignmentOf(cfg({ PROJECTOR_ASSIGNMENT: 'etcd', PROJECTOR_PARTITIONS: '1' }))).toThrow(
      /PROJECTOR_PARTITIONS=1/,
    );
  });
});
