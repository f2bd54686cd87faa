import { TickstreamError } from '@tickstream/shared/errors';

/**
 * The Solidity `require` of the math libraries: throws `INTERNAL` when `condition` is false. The message
 * names the library and the contract's revert reason, e.g. `TickMath: T`.
 *
 * @example
 * ensure(tick <= MAX_TICK, 'TickMath: T');
 */
export function ensure(condition: boolean, reason: string): asserts condition {
  if (!condition) throw new TickstreamError('INTERNAL', `Uniswap V3 math: ${reason}`);
}
