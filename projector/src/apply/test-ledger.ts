/**
 * Test-only: fold events encoded back into ledger entries with viem (so tests run the real decoder), and
 * sealed blocks of them.
 */
import {
  factoryEventsAbi,
  type Hex,
  type LogEntry,
  type Partition,
  type PoolContext,
  poolEventsAbi,
  positionManagerEventsAbi,
} from '@tickstream/shared';
import { type AbiEvent, encodeAbiParameters, encodeEventTopics } from 'viem';
import type { SealedBlock } from '../consume';
import { createPoolState, evolvePool, type UniswapEvent } from '../fold';
import { ALICE, BOB, burnEvent, ev, FACTORY, mintEvent, POOL, TOKEN0, TOKEN1 } from '../fold/test-fixtures';
import { E18, Q96 } from '../math/test-reference';

function abiOf(type: UniswapEvent['type']): { abi: readonly AbiEvent[]; name: string } {
  if (type === 'PoolCreated' || type === 'FeeAmountEnabled') return { abi: factoryEventsAbi, name: type };
  if (type === 'ManagerCollect') return { abi: positionManagerEventsAbi, name: 'Collect' };
  if (type === 'IncreaseLiquidity' || type === 'DecreaseLiquidity' || type === 'Transfer') {
    return { abi: positionManagerEventsAbi, name: type };
  }
  return { abi: poolEventsAbi, name: type };
}

export const blockHash = (n: number, fork = 'a'): Hex => `0x${fork}${n.toString(16).padStart(63, '0')}`;

/** The ledger log of `event` at block `n`, log index `logIndex` (its `log` position is ignored). */
export function logEntryOf(
  event: UniswapEvent,
  partition: Partition,
  n: number,
  logIndex: number,
  context?: PoolContext,
): LogEntry {
  const { abi, name } = abiOf(event.type);
  const item = abi.find((e) => e.name === name)!;
  const args = event as unknown as Record<string, unknown>;
  const topics = encodeEventTopics({ abi: [item], eventName: name, args } as never) as Hex[];
  const plain = item.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(
    plain,
    plain.map((i) => args[i.name!]),
  );
  const entry: LogEntry = {
    kind: 'log',
    chainId: 31337,
    partition,
    blockNumber: n,
    blockHash: blockHash(n),
    blockTimestamp: null,
    txIndex: logIndex,
    txHash: `0x${(n * 1000 + logIndex).toString(16).padStart(64, '0')}`,
    logIndex,
    address: event.log.address,
    topics,
    data,
  };
  return context === undefined ? entry : { ...entry, context };
}

/** A sealed block `n` of `partition` with `events` (and optional contexts), seal at stream seq `seq`. */
export function sealedBlock(
  partition: Partition,
  n: number,
  seq: number,
  events: readonly (UniswapEvent | [UniswapEvent, PoolContext])[],
): SealedBlock {
  const logs = events.map((e, i) =>
    Array.isArray(e) ? logEntryOf(e[0], partition, n, i, e[1]) : logEntryOf(e, partition, n, i),
  );
  return {
    kind: 'block',
    logs,
    seq,
    seal: {
      kind: 'seal',
      chainId: 31337,
      partition,
      blockNumber: n,
      blockHash: blockHash(n),
      parentHash: null,
      timestamp: null,
      logCount: logs.length,
    },
  };
}

/** Blocks 10..12 of partition 0: create + initialize + mint, burn all (ticks cleared), mint again. */
export function poolScenario() {
  const created = ev(
    'PoolCreated',
    { token0: TOKEN0, token1: TOKEN1, fee: 3000, tickSpacing: 60, pool: POOL },
    FACTORY,
  );
  const shadow = createPoolState(created);
  const init = ev('Initialize', { sqrtPriceX96: Q96, tick: 0 });
  evolvePool(shadow, init);
  const mint1 = mintEvent(shadow, ALICE, -60, 60, E18);
  evolvePool(shadow, mint1);
  const burn = burnEvent(shadow, ALICE, -60, 60, E18);
  evolvePool(shadow, burn);
  const mint2 = mintEvent(shadow, BOB, -120, 60, E18 / 2n);
  evolvePool(shadow, mint2);
  return {
    shadow,
    blocks: [
      sealedBlock(0, 10, 100, [created, init, mint1]),
      sealedBlock(0, 11, 110, [burn]),
      sealedBlock(0, 12, 120, [mint2]),
    ],
  };
}
