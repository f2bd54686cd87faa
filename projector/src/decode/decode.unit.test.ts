import {
  factoryEventsAbi,
  type Hex,
  type LogEntry,
  poolEventsAbi,
  positionManagerEventsAbi,
} from '@tickstream/shared';
import {
  type AbiEvent,
  decodeEventLog,
  encodeAbiParameters,
  encodeEventTopics,
  parseAbi,
  toEventSelector,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { argsJson } from '../apply/rows';
import { decodeLog, KNOWN_TOPICS } from './decode';

const A = '0x00000000000000000000000000000000000a11ce';
const B = '0xC36442b4a4522E871399CD717aBDD847Ab11FE88';
const MAX256 = (1n << 256n) - 1n;
const MIN_INT256 = -(1n << 255n);
const MAX160 = (1n << 160n) - 1n;
const MAX128 = (1n << 128n) - 1n;

/** A ledger log carrying the bytes viem encodes for `args`. */
function logOf(
  abi: readonly AbiEvent[],
  name: string,
  args: Record<string, unknown>,
  emitter: Hex = A,
): LogEntry {
  const event = abi.find((e) => e.name === name)!;
  const topics = encodeEventTopics({ abi: [event], eventName: name, args } as never) as Hex[];
  const nonIndexed = event.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(
    nonIndexed,
    nonIndexed.map((i) => args[i.name!]),
  );
  return {
    kind: 'log',
    chainId: 31337,
    partition: 0,
    blockNumber: 7,
    blockHash: `0x${'ab'.repeat(32)}`,
    blockTimestamp: null,
    txIndex: 1,
    txHash: `0x${'cd'.repeat(32)}`,
    logIndex: 3,
    address: emitter,
    topics,
    data,
  };
}

/** viem's answer, normalized like ours: lowercase addresses. */
function oracle(abi: readonly AbiEvent[], entry: LogEntry): Record<string, unknown> {
  const { args } = decodeEventLog({ abi, topics: entry.topics as [Hex], data: entry.data, strict: true });
  return Object.fromEntries(
    Object.entries(args as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.toLowerCase() : v,
    ]),
  );
}

function ours(entry: LogEntry): Record<string, unknown> {
  const event = decodeLog(entry);
  expect(event).toBeDefined();
  const { type: _t, log, ...args } = event!;
  expect(log).toEqual({
    blockNumber: 7,
    txIndex: 1,
    logIndex: 3,
    blockHash: entry.blockHash,
    address: entry.address.toLowerCase(),
  });
  return args;
}

const cases: [string, readonly AbiEvent[], string, string, Record<string, unknown>][] = [
  [
    'PoolCreated',
    factoryEventsAbi,
    'PoolCreated',
    'PoolCreated',
    { token0: A, token1: B, fee: 3000, tickSpacing: 60, pool: B },
  ],
  [
    'FeeAmountEnabled',
    factoryEventsAbi,
    'FeeAmountEnabled',
    'FeeAmountEnabled',
    { fee: 100, tickSpacing: 1 },
  ],
  [
    'Initialize (negative tick)',
    poolEventsAbi,
    'Initialize',
    'Initialize',
    { sqrtPriceX96: 4295128739n, tick: -887272 },
  ],
  [
    'Initialize (max price)',
    poolEventsAbi,
    'Initialize',
    'Initialize',
    { sqrtPriceX96: MAX160, tick: 887271 },
  ],
  [
    'Mint',
    poolEventsAbi,
    'Mint',
    'Mint',
    { sender: A, owner: B, tickLower: -887220, tickUpper: -60, amount: MAX128, amount0: MAX256, amount1: 0n },
  ],
  [
    'Burn',
    poolEventsAbi,
    'Burn',
    'Burn',
    { owner: B, tickLower: -1, tickUpper: 887220, amount: 1n, amount0: 2n, amount1: MAX256 },
  ],
  [
    'Swap (negative amount0)',
    poolEventsAbi,
    'Swap',
    'Swap',
    {
      sender: A,
      recipient: B,
      amount0: -123456789012345678901234567890n,
      amount1: 5n,
      sqrtPriceX96: 79228162514264337593543950336n,
      liquidity: MAX128,
      tick: -23028,
    },
  ],
  [
    'Swap (int256 extremes)',
    poolEventsAbi,
    'Swap',
    'Swap',
    {
      sender: A,
      recipient: A,
      amount0: MIN_INT256,
      amount1: (1n << 255n) - 1n,
      sqrtPriceX96: 1n,
      liquidity: 0n,
      tick: -1,
    },
  ],
  [
    'Collect',
    poolEventsAbi,
    'Collect',
    'Collect',
    { owner: A, recipient: B, tickLower: -600, tickUpper: 600, amount0: MAX128, amount1: 9n },
  ],
  [
    'Flash',
    poolEventsAbi,
    'Flash',
    'Flash',
    { sender: A, recipient: B, amount0: 1n, amount1: 2n, paid0: 3n, paid1: MAX256 },
  ],
  [
    'IncreaseObservationCardinalityNext',
    poolEventsAbi,
    'IncreaseObservationCardinalityNext',
    'IncreaseObservationCardinalityNext',
    { observationCardinalityNextOld: 1, observationCardinalityNextNew: 65535 },
  ],
  [
    'SetFeeProtocol',
    poolEventsAbi,
    'SetFeeProtocol',
    'SetFeeProtocol',
    { feeProtocol0Old: 0, feeProtocol1Old: 4, feeProtocol0New: 10, feeProtocol1New: 255 },
  ],
  [
    'CollectProtocol',
    poolEventsAbi,
    'CollectProtocol',
    'CollectProtocol',
    { sender: A, recipient: B, amount0: MAX128, amount1: 0n },
  ],
  [
    'IncreaseLiquidity',
    positionManagerEventsAbi,
    'IncreaseLiquidity',
    'IncreaseLiquidity',
    { tokenId: MAX256, liquidity: MAX128, amount0: 1n, amount1: 2n },
  ],
  [
    'DecreaseLiquidity',
    positionManagerEventsAbi,
    'DecreaseLiquidity',
    'DecreaseLiquidity',
    { tokenId: 1n, liquidity: 1n, amount0: 0n, amount1: MAX256 },
  ],
  [
    'NPM Collect',
    positionManagerEventsAbi,
    'Collect',
    'ManagerCollect',
    { tokenId: 42n, recipient: B, amount0: 7n, amount1: 8n },
  ],
  [
    'Transfer',
    positionManagerEventsAbi,
    'Transfer',
    'Transfer',
    { from: '0x0000000000000000000000000000000000000000', to: B, tokenId: 1n << 200n },
  ],
];

describe('decodeLog', () => {
  it.each(cases)('default: %s equals viem decodeEventLog', (_label, abi, name, type, args) => {
    const entry = logOf(abi, name, args);
    expect(decodeLog(entry)?.type).toBe(type);
    expect(ours(entry)).toEqual(oracle(abi, entry));
    // the events table's JSON: every argument, big integers as decimal strings
    const json = Object.fromEntries(
      Object.entries(ours(entry)).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
    );
    expect(JSON.parse(argsJson(decodeLog(entry)!))).toEqual(json);
  });

  it('behavior: a random sweep of Swap and Mint values equals viem', () => {
    let seed = 12345;
    const rnd = (bits: number): bigint => {
      let v = 0n;
      for (let i = 0; i < bits; i += 16) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        v = (v << 16n) | BigInt(seed & 0xffff);
      }
      return v & ((1n << BigInt(bits)) - 1n);
    };
    const tick = () => Number(rnd(20)) - 887272 / 2;
    // addresses recur and change (the decoder keeps the addresses of recent topics)
    const someone = () => (rnd(2) === 0n ? A : `0x${rnd(160).toString(16).padStart(40, '0')}`);
    for (let i = 0; i < 200; i++) {
      const swap = logOf(poolEventsAbi, 'Swap', {
        sender: someone(),
        recipient: someone(),
        amount0: rnd(255) - (1n << 254n),
        amount1: -rnd(200),
        sqrtPriceX96: rnd(160),
        liquidity: rnd(128),
        tick: tick(),
      });
      expect(ours(swap)).toEqual(oracle(poolEventsAbi, swap));
      const mint = logOf(poolEventsAbi, 'Mint', {
        sender: B,
        owner: someone(),
        tickLower: tick(),
        tickUpper: tick(),
        amount: rnd(128),
        amount0: rnd(256),
        amount1: rnd(256),
      });
      expect(ours(mint)).toEqual(oracle(poolEventsAbi, mint));
    }
  });

  it('behavior: addresses come out lowercase', () => {
    const entry = logOf(
      poolEventsAbi,
      'Collect',
      { owner: B, recipient: B, tickLower: 0, tickUpper: 60, amount0: 1n, amount1: 1n },
      B,
    );
    const event = decodeLog(entry);
    expect(event?.log.address).toBe(B.toLowerCase());
    expect(event).toMatchObject({ owner: B.toLowerCase(), recipient: B.toLowerCase() });
  });

  it('behavior: unknown logs are skipped (Approval, ApprovalForAll, OwnerChanged, ERC-20 Transfer)', () => {
    const extra = parseAbi([
      'event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId)',
      'event ApprovalForAll(address indexed owner, address indexed operator, bool approved)',
      'event OwnerChanged(address indexed oldOwner, address indexed newOwner)',
      'event Transfer(address indexed from, address indexed to, uint256 value)',
    ]);
    const entries = [
      logOf(extra, 'Approval', { owner: A, approved: B, tokenId: 1n }),
      logOf(extra, 'ApprovalForAll', { owner: A, operator: B, approved: true }),
      logOf(extra, 'OwnerChanged', { oldOwner: A, newOwner: B }),
      logOf(extra, 'Transfer', { from: A, to: B, value: 5n }),
    ];
    for (const e of entries) expect(decodeLog(e)).toBeUndefined();
    expect(decodeLog({ ...entries[0]!, topics: [] })).toBeUndefined();
    expect(KNOWN_TOPICS.has(toEventSelector(extra[3]))).toBe(true); // same selector, other shape
  });

  it('error: a known event with short data throws LEDGER_MALFORMED naming the log', () => {
    const entry = logOf(poolEventsAbi, 'Initialize', { sqrtPriceX96: 1n << 96n, tick: 0 });
    expect(() => decodeLog({ ...entry, data: entry.data.slice(0, 66) as Hex })).toThrow(
      /block 7 tx 1 log 3: data has 32 bytes, the event needs 64/,
    );
  });
});
