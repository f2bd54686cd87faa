import {
  isAddress,
  parseValue,
  WATCH_KINDS,
  type WatchKind,
  type WatchRequest,
  type WatchStatus,
  watchKeysFor,
  watchRequestSchema,
  watchStatusSchema,
} from '../layout';
import type { CommandContext, ExitCode } from './commands';
import { table } from './format';
import { requester } from './requests';

/** The arguments of `watch add`, checked. */
export interface WatchAddArgs {
  readonly address: string;
  readonly kind: WatchKind;
  readonly fromBlock: number | null;
}

/**
 * Pure: checks `watch <sub> …` arguments; returns a message naming the bad argument, or the parsed
 * sub-command.
 *
 * @example parseWatchArgs(['add', '0xabc…'], { from: '12' }) // { sub: 'add', args: { …, fromBlock: 12 } }
 */
export function parseWatchArgs(
  rest: readonly string[],
  opts: { readonly from?: string | undefined; readonly kind?: string | undefined },
):
  | { readonly sub: 'add'; readonly args: WatchAddArgs }
  | { readonly sub: 'remove'; readonly address: string }
  | { readonly sub: 'list' }
  | string {
  const [sub, address, ...extra] = rest;
  if (sub === undefined) return 'watch needs a sub-command: add, list or remove';
  if (sub !== 'add' && sub !== 'list' && sub !== 'remove')
    return `unknown watch sub-command ${JSON.stringify(sub)} (add, list or remove)`;
  if (sub === 'list') {
    if (address !== undefined) return `unexpected argument ${JSON.stringify(address)}`;
    if (opts.from !== undefined || opts.kind !== undefined) return '--from and --kind only go with watch add';
    return { sub };
  }
  if (extra.length > 0) return `unexpected argument ${JSON.stringify(extra[0])}`;
  if (address === undefined) return `watch ${sub} needs an <address>`;
  if (!isAddress(address)) return `<address> must be 0x and 40 hex digits, got ${JSON.stringify(address)}`;
  if (sub === 'remove') {
    if (opts.from !== undefined || opts.kind !== undefined) return '--from and --kind only go with watch add';
    return { sub, address: address.toLowerCase() };
  }
  let fromBlock: number | null = null;
  if (opts.from !== undefined) {
    if (!/^\d+$/.test(opts.from) || !Number.isSafeInteger(Number(opts.from)))
      return `--from must be a whole number >= 0, got ${JSON.stringify(opts.from)}`;
    fromBlock = Number(opts.from);
  }
  const kind = opts.kind ?? 'pool';
  if (!(WATCH_KINDS as readonly string[]).includes(kind))
    return `--kind must be one of ${WATCH_KINDS.join(', ')}, got ${JSON.stringify(kind)}`;
  return { sub, args: { address: address.toLowerCase(), kind: kind as WatchKind, fromBlock } };
}

function emit(ctx: CommandContext, json: unknown, human: string): void {
  ctx.print(ctx.json ? JSON.stringify(json, null, 2) : human);
}

/** `watch add`: puts the request; ingest (CONTROL_PLANE=etcd) picks it up at once. */
export async function watchAdd(ctx: CommandContext, args: WatchAddArgs): Promise<ExitCode> {
  const k = watchKeysFor(ctx.chainId);
  const request: WatchRequest = {
    ...args,
    addedAt: new Date().toISOString(),
    by: requester(),
  };
  const res = await ctx.etcd
    .if(k.address(args.address), 'Create', '==', 0)
    .then(ctx.etcd.put(k.address(args.address)).value(JSON.stringify(request)))
    .commit();
  if (!res.succeeded) {
    emit(
      ctx,
      { added: false, address: args.address, reason: 'already watched' },
      `watch: ${args.address} is already watched (see tickstream watch list)`,
    );
    return 0;
  }
  emit(
    ctx,
    { added: true, ...request },
    `watch: ${args.address} added as a ${args.kind}, history from ${args.fromBlock ?? 'START_BLOCK'}; ` +
      'ingest backfills it while the head keeps following (tickstream watch list shows progress)',
  );
  return 0;
}

/**
 * `watch remove`: deletes the request. Ingest cancels a history backfill not finished; an address it
 * already follows stays followed (the ledger does not silently stop covering a pool).
 */
export async function watchRemove(ctx: CommandContext, address: string): Promise<ExitCode> {
  const k = watchKeysFor(ctx.chainId);
  const res = await ctx.etcd.delete().key(k.address(address)).exec();
  const removed = Number(res.deleted) > 0;
  emit(
    ctx,
    { removed, address },
    removed ? `watch: ${address} removed from the watch list` : `watch: ${address} was not watched`,
  );
  return 0; // idempotent: an address not watched is as removed as it gets
}

export interface WatchRow extends WatchRequest {
  readonly status: WatchStatus | null;
}

/** `watch list`: every request with ingest's progress on it. */
export async function watchList(ctx: CommandContext): Promise<ExitCode> {
  const k = watchKeysFor(ctx.chainId);
  const [requests, statuses] = await Promise.all([
    ctx.etcd.getAll().prefix(k.root).strings(),
    ctx.etcd.getAll().prefix(k.statusRoot).strings(),
  ]);
  const rows: WatchRow[] = [];
  for (const [key, text] of Object.entries(requests)) {
    const r = parseValue(watchRequestSchema, text);
    if (r === undefined) continue;
    const s = statuses[k.status(key.slice(k.root.length))];
    rows.push({ ...r, status: s === undefined ? null : (parseValue(watchStatusSchema, s) ?? null) });
  }
  rows.sort((a, b) => a.addedAt.localeCompare(b.addedAt));
  const human =
    rows.length === 0
      ? '(no watched addresses)'
      : table(
          ['address', 'kind', 'from', 'state', 'history to', 'joined at', 'logs', 'pools', 'added'],
          rows.map((r) => [
            r.address,
            r.kind,
            String(r.fromBlock ?? 'start'),
            r.status?.state ?? 'pending',
            r.status === null ? '-' : String(r.status.doneTo),
            r.status?.joinedAt == null ? '-' : String(r.status.joinedAt),
            r.status === null ? '-' : String(r.status.logs),
            r.status === null ? '-' : String(r.status.pools),
            r.addedAt,
          ]),
        );
  emit(ctx, rows, human);
  return 0;
}
