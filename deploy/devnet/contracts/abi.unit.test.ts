import { type Abi, type AbiEvent, type AbiFunction, toEventSignature, toFunctionSignature } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  actorAbi,
  nonfungiblePositionManagerAbi,
  quoterV2Abi,
  swapRouterAbi,
  testTokenAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from './abi';
import { POOL_INIT_CODE_HASH, uniswapArtifacts } from './artifacts';
import { compileDevnetContracts } from './compile';

type Item = AbiFunction | AbiEvent;

const signature = (item: Item): string =>
  item.type === 'event' ? toEventSignature(item) : toFunctionSignature(item);

/** A comparable description: signature, indexed flags, outputs and mutability. */
function describeItem(item: Item): string {
  const inputs = item.inputs
    .map((i) => `${i.type}${'indexed' in i && i.indexed ? ' indexed' : ''}`)
    .join(',');
  if (item.type === 'event') return `event ${item.name}(${inputs})`;
  const outputs = item.outputs.map((o) => o.type).join(',');
  const mutability = item.stateMutability === 'nonpayable' ? '' : ` ${item.stateMutability}`;
  return `${signature(item)}${mutability} -> (${outputs}) [${inputs}]`;
}

function items(abi: Abi | readonly unknown[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of abi as Abi) {
    if (item.type === 'function' || item.type === 'event') map.set(signature(item), describeItem(item));
  }
  return map;
}

function expectSubset(ours: Abi, theirs: readonly unknown[]): void {
  const reference = items(theirs);
  for (const [signature, description] of items(ours)) {
    expect(reference.get(signature), signature).toBe(description);
  }
}

describe('ABIs', () => {
  it('default: the pool and factory ABIs are the artifacts, item for item', () => {
    expect([...items(uniswapV3PoolAbi).values()].sort()).toEqual(
      [...items(uniswapArtifacts.UniswapV3Pool.abi).values()].sort(),
    );
    expect([...items(uniswapV3FactoryAbi).values()].sort()).toEqual(
      [...items(uniswapArtifacts.UniswapV3Factory.abi).values()].sort(),
    );
  });

  it('behavior: periphery ABIs are subsets of their artifacts', () => {
    expectSubset(nonfungiblePositionManagerAbi, uniswapArtifacts.NonfungiblePositionManager.abi);
    expectSubset(swapRouterAbi, uniswapArtifacts.SwapRouter.abi);
    expectSubset(quoterV2Abi, uniswapArtifacts.QuoterV2.abi);
  });

  it('behavior: TestToken and Actor ABIs match the compiled sources', async () => {
    const compiled = await compileDevnetContracts();
    expect([...items(testTokenAbi).values()].sort()).toEqual(
      [...items(compiled.TestToken.abi).values()].sort(),
    );
    expect([...items(actorAbi).values()].sort()).toEqual([...items(compiled.Actor.abi).values()].sort());
  });

  it('behavior: the pool init code hash is the one the periphery libraries hard-code', () => {
    expect(POOL_INIT_CODE_HASH).toBe('0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54');
  });
});
