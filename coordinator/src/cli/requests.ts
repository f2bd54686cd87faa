import { hostname } from 'node:os';
import type { Etcd3 } from 'etcd3';

/** Who made a request, for the record. */
export function requester(): string {
  return `cli@${hostname()}:${process.pid}`;
}

/**
 * Resolves true when `key` is deleted after `revision` (the leader took the request), false after
 * `timeoutMs`.
 *
 * @example
 * const taken = await waitForDelete(etcd, k.request('pause'), putRevision, 10_000);
 */
export async function waitForDelete(
  etcd: Etcd3,
  key: string,
  revision: number,
  timeoutMs: number,
): Promise<boolean> {
  return waitForEvent(etcd, key, revision, timeoutMs, (type) => type === 'delete');
}

/**
 * Resolves with the first value put on `key` after `revision` that `accept` takes, or undefined after
 * `timeoutMs`. Also checks the value the key has right now.
 */
export async function waitForPut<T>(
  etcd: Etcd3,
  key: string,
  timeoutMs: number,
  accept: (value: string, createRevision: number) => T | undefined,
): Promise<T | undefined> {
  const res = await etcd.get(key).exec();
  const kv = res.kvs[0];
  const now = kv ? accept(kv.value.toString(), Number(kv.create_revision)) : undefined;
  if (now !== undefined) return now;
  let found: T | undefined;
  await waitForEvent(etcd, key, Number(res.header.revision), timeoutMs, (type, value, createRevision) => {
    if (type !== 'put') return false;
    found = accept(value, createRevision);
    return found !== undefined;
  });
  return found;
}

async function waitForEvent(
  etcd: Etcd3,
  key: string,
  revision: number,
  timeoutMs: number,
  done: (type: 'put' | 'delete', value: string, createRevision: number) => boolean,
): Promise<boolean> {
  const watcher = await etcd
    .watch()
    .key(key)
    .startRevision(String(revision + 1))
    .create();
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        resolve(true);
      };
      watcher.on('put', (kv) => {
        if (done('put', kv.value.toString(), Number(kv.create_revision))) finish();
      });
      watcher.on('delete', (kv) => {
        if (done('delete', '', Number(kv.create_revision))) finish();
      });
    });
  } finally {
    await watcher.cancel().catch(() => undefined);
  }
}
