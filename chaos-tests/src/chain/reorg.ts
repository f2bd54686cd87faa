import {
  createJsonRpc,
  type Devnet,
  type DevnetToken,
  swapRouterAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from '@tickstream/deploy/devnet';
import { TickstreamError } from '@tickstream/shared';
import {
  type Address,
  decodeEventLog,
  encodeFunctionData,
  type Hex,
  numberToHex,
  parseEventLogs,
} from 'viem';

/** A block as `eth_getBlockByNumber(n, false)` gives it (the fields we use). */
export interface RpcBlock {
  readonly number: Hex;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly timestamp: Hex;
  readonly transactions: readonly Hex[];
}

/** A block's number and hash. */
export interface BlockRef {
  readonly number: number;
  readonly hash: Hex;
}

/** A pool of the devnet, as the reorg helper needs it to build swaps. */
export interface DevnetPool {
  readonly address: Address;
  readonly token0: DevnetToken;
  readonly token1: DevnetToken;
  readonly fee: number;
}

export interface ReorgOptions {
  /** Blocks to replace (the common ancestor is `head - depth`). At least 1. */
  readonly depth: number;
  /** Swaps mined into the new blocks (at least 1, default 1 per block up to 4). They differ from the orphaned transactions. */
  readonly swaps?: number;
  /** Picks pools, directions, senders and sizes (default 1). */
  readonly seed?: number;
  /** Empty blocks mined on top of the new fork, so that a follower polling the head number sees it move (default 1). */
  readonly mineAfter?: number;
}

/** What a reorg did, checked against the node. */
export interface ReorgResult {
  readonly depth: number;
  /** The last block both forks share. */
  readonly ancestor: BlockRef;
  /** The blocks that were replaced, as they were. */
  readonly orphaned: readonly BlockRef[];
  /** The blocks that replaced them (same numbers, new hashes). */
  readonly replacement: readonly BlockRef[];
  /** The head after the blocks mined on top. */
  readonly head: BlockRef;
  /** The swaps mined into the new fork (all succeeded), with the pool each moved. */
  readonly swaps: readonly { readonly hash: Hex; readonly pool: Address; readonly block: number }[];
  /** Wall time of the `anvil_reorg` call. */
  readonly reorgMs: number;
}

const SWAP_GAS = 3_000_000n;
const DEADLINE = 4_102_444_800n;
const MAX_FEE = 100_000_000_000n;

/**
 * A real reorg on anvil: `anvil_reorg(depth, [[rawTx, blockOffset], ...])` re-mines the last `depth`
 * blocks from the common ancestor with our swaps (signed here by dev accounts, explicit nonce as of the
 * ancestor, explicit gas) instead of the transactions they held; then mines `mineAfter` empty blocks.
 * Checks with `eth_getBlockByNumber` that the ancestor kept its hash and that every replaced block
 * changed hash, and that each swap succeeded in the block it was placed in. The orphaned transactions
 * are dropped by anvil (not put back in the pool).
 *
 * @example
 * const r = await reorgChain(devnet, { depth: 5, seed: 3 });
 * console.log(r.ancestor.number, r.orphaned.map((b) => b.hash), r.replacement.map((b) => b.hash));
 */
export async function reorgChain(devnet: Devnet, opts: ReorgOptions): Promise<ReorgResult> {
  const rpc = createJsonRpc(devnet.rpcUrl);
  const depth = opts.depth;
  if (!Number.isInteger(depth) || depth < 1)
    throw new TickstreamError('DEVNET_ERROR', `reorg depth must be >= 1, got ${depth}`);
  const seed = opts.seed ?? 1;
  const head = Number(await rpc.request<Hex>('eth_blockNumber'));
  const ancestorNumber = head - depth;
  if (ancestorNumber < 0)
    throw new TickstreamError('DEVNET_ERROR', `cannot reorg ${depth} blocks of a chain at block ${head}`);
  const before = await blocks(rpc, ancestorNumber, head);
  const ancestor = ref(before[0]!);
  const pools = await devnetPools(devnet);
  if (pools.length === 0) throw new TickstreamError('DEVNET_ERROR', 'the devnet has no pools to swap in');

  const count = Math.max(1, opts.swaps ?? Math.min(depth, 4));
  const nonces = new Map<number, number>();
  const pairs: [Hex, number][] = [];
  const planned: { pool: Address; offset: number }[] = [];
  for (let i = 0; i < count; i++) {
    const pool = pools[(seed + i) % pools.length]!;
    const accountIndex = 1 + ((seed + 3 * i) % (devnet.accounts.length - 1));
    const account = devnet.accounts[accountIndex]!;
    let nonce = nonces.get(accountIndex);
    if (nonce === undefined) {
      nonce = Number(
        await rpc.request<Hex>('eth_getTransactionCount', [account.address, numberToHex(ancestorNumber)]),
      );
    }
    nonces.set(accountIndex, nonce + 1);
    const zeroForOne = (seed + i) % 2 === 0;
    const [tokenIn, tokenOut] = zeroForOne ? [pool.token0, pool.token1] : [pool.token1, pool.token0];
    // About $20k, a different size per swap: small against the $50M seed positions, never reverts.
    const usd = 20_000 + 1_000 * ((seed * 7 + i) % 13);
    const amountIn =
      (BigInt(Math.round((usd / tokenIn.usd) * 1e6)) * 10n ** BigInt(tokenIn.decimals)) / 1_000_000n;
    const data = encodeFunctionData({
      abi: swapRouterAbi,
      functionName: 'exactInputSingle',
      args: [
        {
          tokenIn: tokenIn.address,
          tokenOut: tokenOut.address,
          fee: pool.fee,
          recipient: account.address,
          deadline: DEADLINE,
          amountIn,
          amountOutMinimum: 0n,
          sqrtPriceLimitX96: 0n,
        },
      ],
    });
    if (account.signTransaction === undefined)
      throw new TickstreamError('DEVNET_ERROR', `account ${accountIndex} cannot sign`);
    const raw = await account.signTransaction({
      chainId: devnet.chainId,
      type: 'eip1559',
      to: devnet.addresses.swapRouter,
      data,
      nonce,
      gas: SWAP_GAS,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: 1n,
    });
    const offset = i % depth;
    pairs.push([raw, offset]);
    planned.push({ pool: pool.address, offset });
  }

  const t0 = performance.now();
  await rpc.request('anvil_reorg', [depth, pairs]);
  const reorgMs = performance.now() - t0;
  for (let i = 0; i < (opts.mineAfter ?? 1); i++) await rpc.request('evm_mine', []);

  const after = await blocks(rpc, ancestorNumber, head);
  if (after[0]!.hash !== ancestor.hash) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `anvil_reorg(${depth}) changed the common ancestor ${ancestorNumber}: ${ancestor.hash} -> ${after[0]!.hash}`,
    );
  }
  const orphaned = before.slice(1).map(ref);
  const replacement = after.slice(1).map(ref);
  const same = replacement.filter((b, i) => b.hash === orphaned[i]!.hash);
  if (same.length > 0) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `anvil_reorg(${depth}): blocks ${same.map((b) => b.number).join(', ')} kept their hash: nothing reorged`,
    );
  }
  const swaps = await checkSwaps(rpc, after.slice(1), planned);
  const tip = await rpc.request<RpcBlock>('eth_getBlockByNumber', ['latest', false]);
  return { depth, ancestor, orphaned, replacement, head: ref(tip), swaps, reorgMs };
}

/** Every pool the devnet's factory created, with its tokens. */
export async function devnetPools(devnet: Devnet): Promise<DevnetPool[]> {
  const rpc = createJsonRpc(devnet.rpcUrl);
  const logs = await rpc.request<
    { topics: [Hex, ...Hex[]]; data: Hex; address: Address; blockNumber: Hex; logIndex: Hex }[]
  >('eth_getLogs', [{ address: devnet.addresses.factory, fromBlock: '0x0', toBlock: 'latest' }]);
  const created = parseEventLogs({ abi: uniswapV3FactoryAbi, eventName: 'PoolCreated', logs: logs as never });
  const tokens = new Map(
    [devnet.addresses.weth, ...devnet.addresses.tokens].map((t) => [t.address.toLowerCase(), t]),
  );
  const out: DevnetPool[] = [];
  for (const c of created) {
    const token0 = tokens.get(c.args.token0.toLowerCase());
    const token1 = tokens.get(c.args.token1.toLowerCase());
    if (token0 === undefined || token1 === undefined) continue;
    out.push({ address: c.args.pool.toLowerCase() as Address, token0, token1, fee: c.args.fee });
  }
  return out;
}

/** Blocks `from..to` (inclusive), in order. */
export async function blocks(
  rpc: ReturnType<typeof createJsonRpc>,
  from: number,
  to: number,
): Promise<RpcBlock[]> {
  const calls = [];
  for (let n = from; n <= to; n++)
    calls.push({ method: 'eth_getBlockByNumber', params: [numberToHex(n), false] as const });
  const out = await rpc.batch<RpcBlock | null>(calls);
  return out.map((b, i) => {
    if (b === null) throw new TickstreamError('DEVNET_ERROR', `block ${from + i} is missing`);
    return b;
  });
}

function ref(b: RpcBlock): BlockRef {
  return { number: Number(b.number), hash: b.hash };
}

interface RpcReceipt {
  readonly status: Hex;
  readonly transactionHash: Hex;
  readonly blockNumber: Hex;
  readonly logs: readonly { address: Address; topics: [Hex, ...Hex[]]; data: Hex }[];
}

/** Each planned swap is in the block it was placed in, succeeded, and emitted a Swap of its pool. */
async function checkSwaps(
  rpc: ReturnType<typeof createJsonRpc>,
  newBlocks: readonly RpcBlock[],
  planned: readonly { pool: Address; offset: number }[],
): Promise<{ hash: Hex; pool: Address; block: number }[]> {
  const hashes = newBlocks.flatMap((b) => b.transactions.map((h) => ({ h, block: Number(b.number) })));
  const receipts = await rpc.batch<RpcReceipt>(
    hashes.map((x) => ({ method: 'eth_getTransactionReceipt', params: [x.h] })),
  );
  const out: { hash: Hex; pool: Address; block: number }[] = [];
  for (const r of receipts) {
    if (r.status !== '0x1')
      throw new TickstreamError('DEVNET_ERROR', `reorg swap ${r.transactionHash} reverted`);
    const swap = r.logs.find((l) => {
      try {
        return decodeEventLog({ abi: uniswapV3PoolAbi, ...l }).eventName === 'Swap';
      } catch {
        return false;
      }
    });
    if (swap === undefined)
      throw new TickstreamError('DEVNET_ERROR', `reorg swap ${r.transactionHash} emitted no Swap`);
    out.push({
      hash: r.transactionHash,
      pool: swap.address.toLowerCase() as Address,
      block: Number(r.blockNumber),
    });
  }
  if (out.length !== planned.length) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `anvil_reorg mined ${out.length} of the ${planned.length} swaps given to it`,
    );
  }
  const first = Number(newBlocks[0]?.number ?? 0);
  const key = (pool: string, block: number) => `${block}:${pool}`;
  const want = planned.map((p) => key(p.pool, first + p.offset)).sort();
  const got = out.map((o) => key(o.pool, o.block)).sort();
  if (want.join() !== got.join()) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `reorg swaps landed in ${got.join(', ')}; planned ${want.join(', ')}`,
    );
  }
  return out;
}
