import { isTickstreamError } from '@tickstream/shared';
import { describe, expect, test } from 'vitest';
import { loadCoordinatorSettings } from './settings';

describe('loadCoordinatorSettings', () => {
  test('default: 3 s leases, an id from host and pid', () => {
    const s = loadCoordinatorSettings({});
    expect(s).toMatchObject({
      COORDINATOR_LEASE_TTL_S: 3,
      MODULE_LEASE_TTL_S: 3,
      CLI_ETCD_TIMEOUT_MS: 2_000,
    });
    expect(s.COORDINATOR_ID).toMatch(new RegExp(`-${process.pid}$`));
  });

  test('error: names the bad variable', () => {
    try {
      loadCoordinatorSettings({ COORDINATOR_LEASE_TTL_S: '0', COORDINATOR_ID: 'a/b' });
      expect.unreachable();
    } catch (err) {
      expect(isTickstreamError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain('COORDINATOR_LEASE_TTL_S: must be at least 1');
      expect((err as Error).message).toContain('COORDINATOR_ID');
    }
  });
});
