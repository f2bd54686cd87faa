import factory from '@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json' with {
  type: 'json',
};
import pool from '@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json' with {
  type: 'json',
};
import npm from '@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json' with {
  type: 'json',
};
import { type Abi, type AbiEvent, toEventSelector } from 'viem';
import { describe, expect, it } from 'vitest';
import { factoryEventsAbi, poolEventsAbi, positionManagerEventsAbi } from './events';

function eventsOf(abi: Abi): Map<string, AbiEvent> {
  const out = new Map<string, AbiEvent>();
  for (const item of abi) if (item.type === 'event') out.set(item.name, item);
  return out;
}

describe.each([
  ['UniswapV3Factory', factoryEventsAbi, factory.abi as Abi],
  ['UniswapV3Pool', poolEventsAbi, pool.abi as Abi],
  ['NonfungiblePositionManager', positionManagerEventsAbi, npm.abi as Abi],
])('%s events', (_name, ours, artifact) => {
  const theirs = eventsOf(artifact);
  it.each(ours.map((e) => [e.name, e] as const))(
    '%s matches the artifact (selector and indexed flags)',
    (name, e) => {
      const t = theirs.get(name);
      expect(t, `${name} missing from artifact`).toBeDefined();
      expect(toEventSelector(e)).toBe(toEventSelector(t!));
      expect(e.inputs.map((i) => [i.name, i.type, 'indexed' in i ? i.indexed : false])).toEqual(
        t!.inputs.map((i) => [i.name, i.type, i.indexed ?? false]),
      );
    },
  );
});
