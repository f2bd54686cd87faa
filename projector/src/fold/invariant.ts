import { TickstreamError } from '@tickstream/shared/errors';
import type { LogPosition } from './events';

type EventLike = { readonly type: string; readonly log: LogPosition };

/** Big integers as decimal strings, so that details survive JSON logging. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/**
 * A `PROJECTION_INVARIANT` error for a ledger entry that contradicts the projected state. The message names
 * the event, the thing it applies to (pool address, position key or token id) and the ledger position;
 * `details` carry the numbers (bigints as decimal strings).
 *
 * @example
 * throw invariantError(event, `token ${tokenId}`, 'transferred by someone who does not own it');
 */
export function invariantError(
  event: EventLike,
  subject: string,
  problem: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): TickstreamError {
  const { blockNumber, txIndex, logIndex, blockHash, address } = event.log;
  return new TickstreamError(
    'PROJECTION_INVARIANT',
    `${event.type} of ${subject} at block ${blockNumber} tx ${txIndex} log ${logIndex}: ${problem}`,
    {
      details: {
        event: event.type,
        subject,
        blockNumber,
        txIndex,
        logIndex,
        blockHash,
        emitter: address,
        ...(jsonSafe(details) as Record<string, unknown>),
      },
      cause,
    },
  );
}

/**
 * `invariantError` for an event of a pool, naming the pool.
 *
 * @example
 * throw poolInvariant(state, event, 'collects more than owed', { position: key });
 */
export function poolInvariant(
  state: { readonly address: string },
  event: EventLike,
  problem: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): TickstreamError {
  return invariantError(event, `pool ${state.address}`, problem, details, cause);
}
