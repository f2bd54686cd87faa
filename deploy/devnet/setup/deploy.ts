import { TickstreamError } from '@tickstream/shared/errors';
import { createLogger } from '@tickstream/shared/log';
import {
  type Address,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  type LocalAccount,
  maxUint256,
  parseAbiParameters,
  zeroAddress,
} from 'viem';
import { createJsonRpc, type JsonRpc } from '../anvil/rpc';
import { type AnvilInstance, type StartAnvilOptions, startAnvil } from '../anvil/start';
import { BlockMiner, type BlockMinerOptions, type TimestampMode } from '../chain/miner';
import type { PlannedTx, RpcLog } from '../chain/types';
import { testTokenAbi } from '../contracts/abi';
import { uniswapArtifacts } from '../contracts/artifacts';
import { compileDevnetContracts } from '../contracts/compile';
import { devnetAccounts } from './accounts';

/** A devnet ERC-20. */
export interface DevnetToken {
  readonly address: Address;
  readonly symbol: string;
  readonly decimals: number;
  /** Reference price in USD, for sizing positions and initial prices. */
  readonly usd: number;
}

/** Where everything was deployed. Addresses are lower case. */
export interface DevnetAddresses {
  readonly factory: Address;
  readonly positionManager: Address;
  readonly swapRouter: Address;
  readonly quoterV2: Address;
  /** The WETH-like ERC-20 given to the periphery as WETH9 (a plain mintable token, no deposit()). */
  readonly weth: DevnetToken;
  /** The other test tokens; one has 6 decimals. */
  readonly tokens: readonly DevnetToken[];
  /** The Actor contract that calls pools directly (mint/burn/collect/swap/flash). */
  readonly actor: Address;
  /** Block of the deployment (the first block worth scanning for logs). */
  readonly deployBlock: bigint;
}

/** A local chain with Uniswap V3 deployed: what the workload, benches and tests need. */
export interface Devnet {
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly chainId: number;
  readonly addresses: DevnetAddresses;
  /** anvil's dev accounts (local signers); account 0 deployed everything and owns the factory. */
  readonly accounts: readonly LocalAccount[];
}

export interface DeployOptions {
  /** Signers; default: anvil's 10 dev accounts. Account 0 deploys and owns the factory. */
  readonly accounts?: readonly LocalAccount[];
  readonly timestamps?: TimestampMode;
  readonly signer?: BlockMinerOptions['signer'];
}

const TOKENS = [
  { name: 'Wrapped Ether', symbol: 'WETH', decimals: 18, usd: 3000 },
  { name: 'USD Coin', symbol: 'USDC', decimals: 6, usd: 1 },
  { name: 'Dai Stablecoin', symbol: 'DAI', decimals: 18, usd: 1 },
  { name: 'Wrapped BTC', symbol: 'WBTC', decimals: 8, usd: 60000 },
] as const;

/** Whole tokens minted to each account and to the Actor. */
const FUNDING_WHOLE_TOKENS = 10n ** 15n;
const DEPLOY_GAS = 12_000_000n;
const GAS = 1_000_000n;

const log = createLogger('devnet');

/**
 * Deploys Uniswap V3 (the real npm bytecode: UniswapV3Factory, NonfungiblePositionManager, SwapRouter,
 * QuoterV2), four test tokens (WETH 18, USDC 6, DAI 18, WBTC 8 decimals) and the Actor, then funds
 * every account and the Actor and approves the position manager and the router. Two blocks, mined with
 * `evm_mine`; automine is restored afterwards. The fee tiers are the factory's own (500/3000/10000).
 *
 * @example
 * const anvil = await startAnvil({ port: await findFreePort() });
 * const addresses = await deployUniswap(anvil);
 * console.log(addresses.factory, addresses.tokens.map((t) => t.symbol));
 */
export async function deployUniswap(
  node: { rpcUrl: string },
  opts: DeployOptions = {},
): Promise<DevnetAddresses> {
  const rpc = createJsonRpc(node.rpcUrl);
  const accounts = opts.accounts ?? devnetAccounts();
  const deployer = accounts[0];
  if (deployer === undefined)
    throw new TickstreamError('DEVNET_ERROR', 'deployUniswap needs at least one account');
  const compiled = await compileDevnetContracts();
  const miner = await BlockMiner.create(rpc, accounts, {
    timestamps: opts.timestamps ?? 'deterministic',
    ...(opts.signer === undefined ? {} : { signer: opts.signer }),
  });
  try {
    let nonce = BigInt(await rpc.request<Hex>('eth_getTransactionCount', [deployer.address, 'pending']));
    const txs: PlannedTx[] = [];
    const create = (label: string, data: Hex): Address => {
      txs.push({ from: 0, data, gas: DEPLOY_GAS, label });
      return getContractAddress({ from: deployer.address, nonce: nonce++ }).toLowerCase() as Address;
    };
    const tokens = TOKENS.map((t) => ({
      address: create(
        `deploy.${t.symbol}`,
        encodeDeployData({
          abi: testTokenAbi,
          bytecode: compiled.TestToken.bytecode,
          args: [t.name, t.symbol, t.decimals],
        }),
      ),
      symbol: t.symbol,
      decimals: t.decimals,
      usd: t.usd,
    }));
    const [weth, ...others] = tokens as [DevnetToken, ...DevnetToken[]];
    const factory = create('deploy.UniswapV3Factory', uniswapArtifacts.UniswapV3Factory.bytecode);
    const args = (types: string, values: readonly unknown[]): Hex =>
      encodeAbiParameters(parseAbiParameters(types), values).slice(2) as Hex;
    const positionManager = create(
      'deploy.NonfungiblePositionManager',
      `${uniswapArtifacts.NonfungiblePositionManager.bytecode}${args('address, address, address', [factory, weth.address, zeroAddress])}`,
    );
    const swapRouter = create(
      'deploy.SwapRouter',
      `${uniswapArtifacts.SwapRouter.bytecode}${args('address, address', [factory, weth.address])}`,
    );
    const quoterV2 = create(
      'deploy.QuoterV2',
      `${uniswapArtifacts.QuoterV2.bytecode}${args('address, address', [factory, weth.address])}`,
    );
    const actor = create('deploy.Actor', compiled.Actor.bytecode);
    const deployed = await miner.mine(txs);
    const failed = deployed.filter((m) => !m.ok || m.receipt.contractAddress === null);
    if (failed.length > 0) {
      throw new TickstreamError(
        'DEVNET_ERROR',
        `deployment failed: ${failed.map((m) => m.tx.label).join(', ')}`,
      );
    }
    const deployBlock = BigInt(deployed[0]?.receipt.blockNumber ?? '0x0');

    // Fund: every account and the Actor get tokens; every account approves the NPM and the router.
    const funding: PlannedTx[] = [];
    for (const token of tokens) {
      const amount = FUNDING_WHOLE_TOKENS * 10n ** BigInt(token.decimals);
      for (const to of [...accounts.map((a) => a.address), actor]) {
        funding.push({
          from: 0,
          to: token.address,
          data: encodeFunctionData({ abi: testTokenAbi, functionName: 'mint', args: [to, amount] }),
          gas: GAS,
          label: 'token.mint',
        });
      }
      for (const [from] of accounts.entries()) {
        for (const spender of [positionManager, swapRouter]) {
          funding.push({
            from,
            to: token.address,
            data: encodeFunctionData({
              abi: testTokenAbi,
              functionName: 'approve',
              args: [spender, maxUint256],
            }),
            gas: GAS,
            label: 'token.approve',
          });
        }
      }
    }
    const funded = await miner.mine(funding);
    if (funded.some((m) => !m.ok))
      throw new TickstreamError('DEVNET_ERROR', 'funding the dev accounts failed');
    const addresses: DevnetAddresses = {
      factory,
      positionManager,
      swapRouter,
      quoterV2,
      weth,
      tokens: others,
      actor,
      deployBlock,
    };
    log.debug({ addresses: { factory, positionManager, swapRouter, quoterV2, actor } }, 'uniswap deployed');
    return addresses;
  } finally {
    await miner.restore();
  }
}

/** Options of {@link startDevnet}: anvil's, plus the deployment's. */
export interface StartDevnetOptions extends StartAnvilOptions, DeployOptions {}

/** A devnet with its anvil. */
export interface RunningDevnet extends Devnet {
  readonly anvil: AnvilInstance;
  stop(): Promise<void>;
}

/**
 * Starts anvil and deploys Uniswap V3 on it. With `loadState`, nothing is deployed: the addresses are
 * read back from the chain (they are the same for every devnet: same deployer, same nonces).
 *
 * @example
 * const devnet = await startDevnet({ port: await findFreePort(), genesisTimestamp: 1_700_000_000 });
 * await runWorkload(devnet, { seed: 1, transactions: 1000 });
 * await devnet.stop();
 */
export async function startDevnet(opts: StartDevnetOptions = {}): Promise<RunningDevnet> {
  const anvil = await startAnvil(opts);
  try {
    const accounts = opts.accounts ?? devnetAccounts();
    const addresses =
      opts.loadState !== undefined ? await readDeployment(anvil, accounts) : await deployUniswap(anvil, opts);
    return {
      rpcUrl: anvil.rpcUrl,
      wsUrl: anvil.wsUrl,
      chainId: anvil.chainId,
      addresses,
      accounts,
      anvil,
      stop: () => anvil.stop(),
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/**
 * The addresses of a deployment made by {@link deployUniswap} on this chain (e.g. one loaded from a
 * state file): they follow from the deployer's first nonces. Throws if there is no code there.
 */
export async function readDeployment(
  node: { rpcUrl: string },
  accounts: readonly LocalAccount[] = devnetAccounts(),
): Promise<DevnetAddresses> {
  const rpc = createJsonRpc(node.rpcUrl);
  const deployer = accounts[0];
  if (deployer === undefined) throw new TickstreamError('DEVNET_ERROR', 'readDeployment needs an account');
  const at = (nonce: number): Address =>
    getContractAddress({ from: deployer.address, nonce: BigInt(nonce) }).toLowerCase() as Address;
  const names = ['WETH', 'USDC', 'DAI', 'WBTC', 'factory', 'npm', 'router', 'quoter', 'actor'];
  const codes = await rpc.batch<Hex>(
    names.map((_, i) => ({ method: 'eth_getCode', params: [at(i), 'latest'] })),
  );
  const missing = names.filter((_, i) => (codes[i] ?? '0x') === '0x');
  if (missing.length > 0) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `no devnet deployment on ${node.rpcUrl} (missing ${missing.join(', ')})`,
    );
  }
  const deployBlock = await findDeployBlock(rpc, at(4));
  const tokens = TOKENS.map((t, i) => ({
    address: at(i),
    symbol: t.symbol,
    decimals: t.decimals,
    usd: t.usd,
  }));
  const [weth, ...others] = tokens as [DevnetToken, ...DevnetToken[]];
  return {
    factory: at(4),
    positionManager: at(5),
    swapRouter: at(6),
    quoterV2: at(7),
    weth,
    tokens: others,
    actor: at(8),
    deployBlock,
  };
}

/** The block of the factory's first log (`OwnerChanged` in its constructor): where the deployment is. */
async function findDeployBlock(rpc: JsonRpc, factory: Address): Promise<bigint> {
  const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
    { address: factory, fromBlock: '0x0', toBlock: 'latest' },
  ]);
  const first = logs[0];
  if (first === undefined) throw new TickstreamError('DEVNET_ERROR', `the factory ${factory} has no logs`);
  return BigInt(first.blockNumber);
}
