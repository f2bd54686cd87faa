import { z } from 'zod';

/**
 * Keys of the runtime watch list, for one chain (under `/tickstream/<chainId>/watch/`): addresses an
 * operator added with `tickstream watch add`, on top of the configured factory and position manager.
 * Ingest watches the prefix; a new key makes it backfill the address's history and then follow it.
 *
 * @example
 * const k = watchKeysFor(31337);
 * k.address('0xabc…'); // '/tickstream/31337/watch/0xabc…'
 */
export function watchKeysFor(chainId: number) {
  const root = `/tickstream/${chainId}/watch/`;
  const status = `/tickstream/${chainId}/watch-status/`;
  return {
    root,
    address: (address: string) => `${root}${address.toLowerCase()}`,
    /** Where ingest reports each watched address's progress (written by ingest, read by the CLI). */
    statusRoot: status,
    status: (address: string) => `${status}${address.toLowerCase()}`,
  };
}

export type WatchKeys = ReturnType<typeof watchKeysFor>;

/** What a watched address is: one pool, or a factory whose `PoolCreated` pools are followed too. */
export const WATCH_KINDS = ['pool', 'factory'] as const;
export type WatchKind = (typeof WATCH_KINDS)[number];

const ADDRESS = /^0x[0-9a-f]{40}$/;

/** True for a 20-byte hex address (any case). */
export function isAddress(s: string): boolean {
  return ADDRESS.test(s.toLowerCase());
}

/**
 * `/watch/<address>`: an operator's request to watch an address. `fromBlock` null means "from the
 * ingest's START_BLOCK". Ingest keeps the progress of the history backfill in its own store, not here.
 */
export const watchRequestSchema = z.object({
  address: z.string().regex(ADDRESS),
  kind: z.enum(WATCH_KINDS),
  fromBlock: z.number().int().min(0).nullable(),
  addedAt: z.string().min(1),
  by: z.string().optional(),
});
export type WatchRequest = z.output<typeof watchRequestSchema>;

export const WATCH_STATES = ['backfilling', 'following'] as const;
export type WatchState = (typeof WATCH_STATES)[number];

/**
 * `/watch-status/<address>`: ingest's progress on a watched address: `backfilling` while its history
 * (from `fromBlock`) is appended, up to `doneTo`; `following` once it joined the head follower at
 * `joinedAt` (its logs from that block on are appended with their blocks).
 */
export const watchStatusSchema = z.object({
  address: z.string().regex(ADDRESS),
  kind: z.enum(WATCH_KINDS),
  state: z.enum(WATCH_STATES),
  fromBlock: z.number().int().min(0),
  doneTo: z.number().int().min(-1),
  joinedAt: z.number().int().min(0).nullable(),
  logs: z.number().int().min(0),
  pools: z.number().int().min(0),
  at: z.string().min(1),
});
export type WatchStatus = z.output<typeof watchStatusSchema>;
