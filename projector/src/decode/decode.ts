import {
  factoryEventsAbi,
  type LogEntry,
  poolEventsAbi,
  positionManagerEventsAbi,
  TickstreamError,
} from '@tickstream/shared';
import { toEventSelector } from 'viem';
import type { Hex, LogPosition, UniswapEvent } from '../fold';
import { address, dataWord, int24, int256, smallUint, topicAddress, topicWord, uint } from './words';

type Decoder = (t: readonly string[], data: string, log: LogPosition) => UniswapEvent;

interface Shape {
  /** topics including topic0 */
  readonly topics: number;
  /** 32-byte words of data */
  readonly words: number;
  readonly decode: Decoder;
}

const sel = (abi: readonly { type: string; name?: string }[], name: string): string => {
  const item = abi.find((i) => i.type === 'event' && i.name === name);
  if (item === undefined) throw new Error(`no event ${name}`);
  return toEventSelector(item as Parameters<typeof toEventSelector>[0]);
};

const t = (topics: readonly string[], i: number) => topicWord(topics[i]!);

/** Every event the projector folds, by topic0. The pool's and the position manager's Collect differ. */
const SHAPES = new Map<string, Shape>([
  [
    sel(factoryEventsAbi, 'PoolCreated'),
    {
      topics: 4,
      words: 2,
      decode: (ts, d, log) => ({
        type: 'PoolCreated',
        log,
        token0: topicAddress(ts[1]!),
        token1: topicAddress(ts[2]!),
        fee: smallUint(t(ts, 3)),
        tickSpacing: int24(dataWord(d, 0)),
        pool: address(dataWord(d, 1)),
      }),
    },
  ],
  [
    sel(factoryEventsAbi, 'FeeAmountEnabled'),
    {
      topics: 3,
      words: 0,
      decode: (ts, _d, log) => ({
        type: 'FeeAmountEnabled',
        log,
        fee: smallUint(t(ts, 1)),
        tickSpacing: int24(t(ts, 2)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Initialize'),
    {
      topics: 1,
      words: 2,
      decode: (_ts, d, log) => ({
        type: 'Initialize',
        log,
        sqrtPriceX96: uint(dataWord(d, 0)),
        tick: int24(dataWord(d, 1)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Mint'),
    {
      topics: 4,
      words: 4,
      decode: (ts, d, log) => ({
        type: 'Mint',
        log,
        sender: address(dataWord(d, 0)),
        owner: topicAddress(ts[1]!),
        tickLower: int24(t(ts, 2)),
        tickUpper: int24(t(ts, 3)),
        amount: uint(dataWord(d, 1)),
        amount0: uint(dataWord(d, 2)),
        amount1: uint(dataWord(d, 3)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Burn'),
    {
      topics: 4,
      words: 3,
      decode: (ts, d, log) => ({
        type: 'Burn',
        log,
        owner: topicAddress(ts[1]!),
        tickLower: int24(t(ts, 2)),
        tickUpper: int24(t(ts, 3)),
        amount: uint(dataWord(d, 0)),
        amount0: uint(dataWord(d, 1)),
        amount1: uint(dataWord(d, 2)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Swap'),
    {
      topics: 3,
      words: 5,
      decode: (ts, d, log) => ({
        type: 'Swap',
        log,
        sender: topicAddress(ts[1]!),
        recipient: topicAddress(ts[2]!),
        amount0: int256(dataWord(d, 0)),
        amount1: int256(dataWord(d, 1)),
        sqrtPriceX96: uint(dataWord(d, 2)),
        liquidity: uint(dataWord(d, 3)),
        tick: int24(dataWord(d, 4)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Collect'),
    {
      topics: 4,
      words: 3,
      decode: (ts, d, log) => ({
        type: 'Collect',
        log,
        owner: topicAddress(ts[1]!),
        recipient: address(dataWord(d, 0)),
        tickLower: int24(t(ts, 2)),
        tickUpper: int24(t(ts, 3)),
        amount0: uint(dataWord(d, 1)),
        amount1: uint(dataWord(d, 2)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'Flash'),
    {
      topics: 3,
      words: 4,
      decode: (ts, d, log) => ({
        type: 'Flash',
        log,
        sender: topicAddress(ts[1]!),
        recipient: topicAddress(ts[2]!),
        amount0: uint(dataWord(d, 0)),
        amount1: uint(dataWord(d, 1)),
        paid0: uint(dataWord(d, 2)),
        paid1: uint(dataWord(d, 3)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'IncreaseObservationCardinalityNext'),
    {
      topics: 1,
      words: 2,
      decode: (_ts, d, log) => ({
        type: 'IncreaseObservationCardinalityNext',
        log,
        observationCardinalityNextOld: smallUint(dataWord(d, 0)),
        observationCardinalityNextNew: smallUint(dataWord(d, 1)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'SetFeeProtocol'),
    {
      topics: 1,
      words: 4,
      decode: (_ts, d, log) => ({
        type: 'SetFeeProtocol',
        log,
        feeProtocol0Old: smallUint(dataWord(d, 0)),
        feeProtocol1Old: smallUint(dataWord(d, 1)),
        feeProtocol0New: smallUint(dataWord(d, 2)),
        feeProtocol1New: smallUint(dataWord(d, 3)),
      }),
    },
  ],
  [
    sel(poolEventsAbi, 'CollectProtocol'),
    {
      topics: 3,
      words: 2,
      decode: (ts, d, log) => ({
        type: 'CollectProtocol',
        log,
        sender: topicAddress(ts[1]!),
        recipient: topicAddress(ts[2]!),
        amount0: uint(dataWord(d, 0)),
        amount1: uint(dataWord(d, 1)),
      }),
    },
  ],
  ...(['IncreaseLiquidity', 'DecreaseLiquidity'] as const).map((type): [string, Shape] => [
    sel(positionManagerEventsAbi, type),
    {
      topics: 2,
      words: 3,
      decode: (ts, d, log) => ({
        type,
        log,
        tokenId: uint(t(ts, 1)),
        liquidity: uint(dataWord(d, 0)),
        amount0: uint(dataWord(d, 1)),
        amount1: uint(dataWord(d, 2)),
      }),
    },
  ]),
  [
    sel(positionManagerEventsAbi, 'Collect'),
    {
      topics: 2,
      words: 3,
      decode: (ts, d, log) => ({
        type: 'ManagerCollect',
        log,
        tokenId: uint(t(ts, 1)),
        recipient: address(dataWord(d, 0)),
        amount0: uint(dataWord(d, 1)),
        amount1: uint(dataWord(d, 2)),
      }),
    },
  ],
  [
    // ERC-721 Transfer: the token id is indexed (4 topics); an ERC-20 Transfer (3 topics) is skipped.
    sel(positionManagerEventsAbi, 'Transfer'),
    {
      topics: 4,
      words: 0,
      decode: (ts, _d, log) => ({
        type: 'Transfer',
        log,
        from: topicAddress(ts[1]!),
        to: topicAddress(ts[2]!),
        tokenId: uint(t(ts, 3)),
      }),
    },
  ],
]);

/** The topic0 of every event `decodeLog` knows, for tests and docs. */
export const KNOWN_TOPICS: ReadonlySet<string> = new Set(SHAPES.keys());

/**
 * Decodes one ledger log into the fold's event, by topic0, with hand-written ABI reads (no viem on the
 * hot path). Returns `undefined` for a log the projector does not fold (position-manager Approval and
 * ApprovalForAll, factory OwnerChanged, an ERC-20 Transfer): the caller counts and skips it. A known
 * topic0 whose topics or data do not have the event's shape throws LEDGER_MALFORMED naming the log.
 * The emitter is not checked here: the partition model knows which pools exist.
 *
 * @example
 * const event = decodeLog(entry); // { type: 'Swap', log: { blockNumber, …, address: pool }, amount0: -5n, … }
 */
export function decodeLog(entry: LogEntry): UniswapEvent | undefined {
  const topics = entry.topics;
  const topic0 = topics[0];
  if (topic0 === undefined) return undefined;
  const shape = SHAPES.get(topic0.toLowerCase());
  if (shape === undefined) return undefined;
  const data = entry.data;
  if (topics.length !== shape.topics) {
    // Same selector, other indexing: an ERC-20 Transfer/Approval-like log, not ours.
    return undefined;
  }
  if (data.length !== 2 + 64 * shape.words) {
    throw new TickstreamError(
      'LEDGER_MALFORMED',
      `log at block ${entry.blockNumber} tx ${entry.txIndex} log ${entry.logIndex}: ` +
        `data has ${(data.length - 2) / 2} bytes, the event needs ${32 * shape.words}`,
      { details: { topic0, address: entry.address, blockHash: entry.blockHash } },
    );
  }
  const log: LogPosition = {
    blockNumber: entry.blockNumber,
    txIndex: entry.txIndex,
    logIndex: entry.logIndex,
    blockHash: entry.blockHash,
    address: entry.address.toLowerCase() as Hex,
  };
  return shape.decode(topics, data, log);
}
