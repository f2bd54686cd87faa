import type { Etcd3 } from 'etcd3';
import type { Entry } from '../connect';
import {
  isKeySegment,
  keysFor,
  MODULE_KINDS,
  type ModuleKind,
  type ModuleStatus,
  moduleStatusSchema,
  parseValue,
} from '../layout';

/** A registered (hence live: its lease is alive) module and its last status. */
export interface LiveModule {
  readonly kind: ModuleKind;
  readonly id: string;
  readonly status: ModuleStatus;
}

/** `kind/id`, the name of a module in the reorg context, acks and the CLI. */
export function moduleName(m: { readonly kind: ModuleKind; readonly id: string }): string {
  return `${m.kind}/${m.id}`;
}

/** Throws when `id` cannot be one etcd key segment. */
export function assertModuleRef(kind: string, id: string): asserts kind is ModuleKind {
  if (!(MODULE_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`module kind must be one of ${MODULE_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  if (!isKeySegment(id)) {
    throw new Error(
      `module id must be letters, digits, . _ : - (not starting with _ . : -), got ${JSON.stringify(id)}`,
    );
  }
}

/**
 * Parses the entries under `/modules/` into live modules, sorted by kind (pipeline order) and id;
 * malformed entries are returned apart, to be logged.
 *
 * @example
 * const { modules } = parseModules(snapshot.results[0], 31337);
 */
export function parseModules(
  entries: readonly Entry[],
  chainId: number,
): { modules: LiveModule[]; malformed: string[] } {
  const prefix = keysFor(chainId).modules;
  const modules: LiveModule[] = [];
  const malformed: string[] = [];
  for (const e of entries) {
    const [kind, id, ...rest] = e.key.slice(prefix.length).split('/');
    const status = parseValue(moduleStatusSchema, e.value);
    if (
      kind === undefined ||
      id === undefined ||
      rest.length > 0 ||
      !(MODULE_KINDS as readonly string[]).includes(kind) ||
      status === undefined
    ) {
      malformed.push(e.key);
      continue;
    }
    modules.push({ kind: kind as ModuleKind, id, status });
  }
  const order = (k: ModuleKind) => MODULE_KINDS.indexOf(k);
  modules.sort((a, b) => order(a.kind) - order(b.kind) || a.id.localeCompare(b.id));
  return { modules, malformed };
}

/**
 * The modules registered now for `chainId`.
 *
 * @example
 * const live = await listModules(etcd, 31337); // [{ kind: 'ingest', id: 'i0', status: {...} }, ...]
 */
export async function listModules(etcd: Etcd3, chainId: number): Promise<LiveModule[]> {
  const res = await etcd.getAll().prefix(keysFor(chainId).modules).exec();
  return parseModules(
    res.kvs.map((kv) => ({
      key: kv.key.toString(),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    })),
    chainId,
  ).modules;
}
