import { isTickstreamError } from '@tickstream/shared/errors';
import type { PoolEvent } from './events';
import { applyCollect, applyCollectProtocol, applyFlash } from './fees';
import { poolInvariant } from './invariant';
import { applyBurn, applyMint } from './modify-position';
import { applyIncreaseObservationCardinalityNext, applyInitialize, applySetFeeProtocol } from './slot0';
import type { PoolState } from './state';
import { applySwap } from './swap';

/**
 * The pool fold: apply one event emitted by the pool, exactly as the contract changed its storage. Pure
 * (no I/O) but in place for speed: it mutates `state`, records what changed in `state.dirty` and returns
 * the same object.
 *
 * An event the contract could not have emitted from this state (wrong emitter, before Initialize, amounts
 * that do not follow from the state, a `require` of the math that would fail) throws PROJECTION_INVARIANT
 * naming the pool and the ledger position, and leaves the state as it was.
 *
 * @example
 * let state = createPoolState(poolCreated);
 * for (const event of events) state = evolvePool(state, event);
 * const changes = takeChanges(state);
 */
export function evolvePool(state: PoolState, event: PoolEvent): PoolState {
  if (event.log.address.toLowerCase() !== state.address) {
    throw poolInvariant(state, event, `emitted by ${event.log.address}, not by the pool`);
  }
  if (event.type !== 'Initialize' && state.sqrtPriceX96 === 0n) {
    throw poolInvariant(state, event, 'the pool is not initialized (LOK)');
  }
  try {
    return applyPoolEvent(state, event);
  } catch (err) {
    if (!isTickstreamError(err, 'INTERNAL')) throw err;
    throw poolInvariant(state, event, `the contract would have reverted: ${err.message}`, {}, err);
  }
}

function applyPoolEvent(state: PoolState, event: PoolEvent): PoolState {
  switch (event.type) {
    case 'Initialize':
      return applyInitialize(state, event);
    case 'Mint':
      return applyMint(state, event);
    case 'Burn':
      return applyBurn(state, event);
    case 'Swap':
      return applySwap(state, event);
    case 'Collect':
      return applyCollect(state, event);
    case 'Flash':
      return applyFlash(state, event);
    case 'SetFeeProtocol':
      return applySetFeeProtocol(state, event);
    case 'CollectProtocol':
      return applyCollectProtocol(state, event);
    case 'IncreaseObservationCardinalityNext':
      return applyIncreaseObservationCardinalityNext(state, event);
    default:
      throw poolInvariant(state, event satisfies never, 'unknown pool event');
  }
}
