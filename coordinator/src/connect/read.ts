import type { Etcd3, IKeyValue, ITxnResponse } from 'etcd3';

/** One thing to read: a key, or every key under a prefix. */
export type Read = { readonly key: string } | { readonly prefix: string };

/** One key as read, with its revisions as numbers. */
export interface Entry {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

/** The result of `readAll`: every read's entries, all at one revision. */
export interface Snapshot {
  readonly revision: number;
  readonly results: readonly (readonly Entry[])[];
}

/** A compare that must hold for the transaction to run: the key exists with this create revision. */
export interface CreatedAt {
  readonly key: string;
  readonly createRevision: number;
}

export function toEntry(kv: IKeyValue): Entry {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

function rangeOp(etcd: Etcd3, read: Read) {
  return 'key' in read ? etcd.get(read.key) : etcd.getAll().prefix(read.prefix);
}

/**
 * Reads several keys and prefixes in one transaction, so all of them are seen at the same revision.
 * With `guard`, the reads only happen if `guard.key` exists with `guard.createRevision` (else undefined).
 *
 * @example
 * const snap = await readAll(etcd, [{ key: k.current }, { prefix: k.modules }]);
 * const [current, modules] = snap!.results;
 */
export async function readAll(
  etcd: Etcd3,
  reads: readonly Read[],
  guard?: CreatedAt,
): Promise<Snapshot | undefined> {
  // Without a guard: a compare that always holds (any key's version is > -1), to get one revision.
  const txn = guard
    ? etcd.if(guard.key, 'Create', '==', guard.createRevision)
    : etcd.if(reads.map((r) => ('key' in r ? r.key : r.prefix))[0] ?? '/', 'Version', '>', -1);
  const res: ITxnResponse = await txn.then(...reads.map((r) => rangeOp(etcd, r))).commit();
  if (!res.succeeded) return undefined;
  return {
    revision: Number(res.header.revision),
    results: res.responses.map((r) => (r.response_range?.kvs ?? []).map(toEntry)),
  };
}
