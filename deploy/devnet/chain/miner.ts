import { TickstreamError } from '@tickstream/shared/errors';
import { createLogger } from '@tickstream/shared/log';
import type { Hex, LocalAccount } from 'viem';
import type { JsonRpc } from '../anvil/rpc';
import type { MinedTx, PlannedTx, RpcReceipt } from './types';

const log = createLogger('devnet-miner');

/** How the miner stamps blocks. */
export type TimestampMode =
  /** parent timestamp + 1: with a fixed genesis timestamp, block hashes repeat from run to run. */
  | 'deterministic'
  /** anvil's clock: for live traffic. */
  | 'wallclock';

export interface BlockMinerOptions {
  readonly timestamps?: TimestampMode;
  /**
   * Who signs: `local` (viem, in this process) or `node` (`eth_sendTransaction`, anvil signs for its
   * unlocked dev accounts: about twice as fast, same signatures since both use RFC 6979). `auto`
   * (default) picks `node` when every account is unlocked on the node.
   */
  readonly signer?: 'auto' | 'local' | 'node';
  /**
   * Require each block to hold exactly the planned transactions in the planned order (default true).
   * Turn off when something else may mine or send transactions on the same node.
   */
  readonly strict?: boolean;
}

/** Gas price of the last transaction of a block; earlier ones pay 1 wei more each (see below). */
const BASE_GAS_PRICE = 2_000_000_000n;

/**
 * Mines blocks of planned transactions on anvil with automine off: signs them with fixed nonces (or
 * has anvil sign them for its dev accounts), sends them in one JSON-RPC batch, mines one block with `evm_mine`, and returns the receipts.
 *
 * Order: anvil sorts its mempool by gas price ("fees" order). Each transaction of a block pays 1 wei
 * per gas more than the next one, so the block holds them in the planned order whatever order the
 * batch arrives in; in strict mode the miner checks it.
 */
export class BlockMiner {
  private readonly nonces: number[];
  private timestamp = 0n;
  private head = 0n;
  timestamps: TimestampMode;
  readonly strict: boolean;
  signer: 'local' | 'node' = 'local';
  /** Milliseconds spent so far signing, sending, mining and reading receipts. */
  readonly timings = { sign: 0, send: 0, mine: 0, receipts: 0 };

  private constructor(
    private readonly rpc: JsonRpc,
    private readonly accounts: readonly LocalAccount[],
    private readonly chainId: number,
    nonces: number[],
    opts: BlockMinerOptions,
  ) {
    this.nonces = nonces;
    this.timestamps = opts.timestamps ?? 'deterministic';
    this.strict = opts.strict ?? true;
  }

  /** Reads the accounts' nonces and the head; turns automine off (see {@link restore}). */
  static async create(
    rpc: JsonRpc,
    accounts: readonly LocalAccount[],
    opts: BlockMinerOptions = {},
  ): Promise<BlockMiner> {
    const [chainId, ...nonces] = await rpc.batch<Hex>([
      { method: 'eth_chainId' },
      ...accounts.map((a) => ({ method: 'eth_getTransactionCount', params: [a.address, 'pending'] })),
    ]);
    const miner = new BlockMiner(
      rpc,
      accounts,
      Number(chainId),
      nonces.map((n) => Number(n)),
      opts,
    );
    if (opts.signer === 'node') miner.signer = 'node';
    else if (opts.signer !== 'local') {
      const unlocked = new Set((await rpc.request<string[]>('eth_accounts')).map((a) => a.toLowerCase()));
      miner.signer = accounts.every((a) => unlocked.has(a.address.toLowerCase())) ? 'node' : 'local';
    }
    miner.automineWas = await rpc.request<boolean>('anvil_getAutomine');
    if (miner.automineWas) await rpc.request('evm_setAutomine', [false]);
    await miner.refreshHead();
    return miner;
  }

  private automineWas = false;

  /** Turns automine back on if it was on before {@link create}. */
  async restore(): Promise<void> {
    if (this.automineWas) await this.rpc.request('evm_setAutomine', [true]);
  }

  /** Number of the last block this miner knows of. */
  get headNumber(): bigint {
    return this.head;
  }

  private async refreshHead(): Promise<void> {
    const block = await this.rpc.request<{ number: Hex; timestamp: Hex }>('eth_getBlockByNumber', [
      'latest',
      false,
    ]);
    this.head = BigInt(block.number);
    this.timestamp = BigInt(block.timestamp);
  }

  /** Signs, sends and mines `txs` as one block; returns them with their receipts, in order. */
  async mine(txs: readonly PlannedTx[]): Promise<MinedTx[]> {
    let t = performance.now();
    const lap = (phase: keyof BlockMiner['timings']): void => {
      const now = performance.now();
      this.timings[phase] += now - t;
      t = now;
    };
    let hashes: Hex[] = [];
    if (txs.length > 0 && this.signer === 'node') {
      hashes = await this.sendUnsigned(txs);
      lap('send');
    } else if (txs.length > 0) {
      const raw = await this.sign(txs);
      lap('sign');
      hashes = await this.send(raw);
      lap('send');
    }
    await this.mineOne();
    lap('mine');
    const receipts = await this.collectReceipts(hashes);
    lap('receipts');
    return txs.map((tx, i) => {
      const receipt = receipts[i] as RpcReceipt;
      return { tx, receipt, ok: receipt.status === '0x1' };
    });
  }

  private async mineOne(): Promise<void> {
    if (this.timestamps === 'wallclock') {
      await this.rpc.request('evm_mine', []);
      return;
    }
    try {
      await this.rpc.request('evm_mine', [{ timestamp: Number(this.timestamp + 1n) }]);
      this.timestamp += 1n;
    } catch (err) {
      // A chain loaded from a state file keeps anvil's clock: it refuses timestamps in its past. Logs do
      // not depend on timestamps, only block hashes do: go on with anvil's clock.
      if (!(err instanceof TickstreamError && /timestamp/i.test(err.message))) throw err;
      log.warn({ timestamp: String(this.timestamp + 1n) }, 'anvil refuses past timestamps; using its clock');
      this.timestamps = 'wallclock';
      await this.rpc.request('evm_mine', []);
    }
  }

  private async sign(txs: readonly PlannedTx[]): Promise<Hex[]> {
    const raw: Hex[] = [];
    const n = BigInt(txs.length);
    for (const [i, tx] of txs.entries()) {
      const account = this.accounts[tx.from];
      if (account === undefined)
        throw new TickstreamError('INTERNAL', `no account #${tx.from} for ${tx.label}`);
      const nonce = this.nonces[tx.from] ?? 0;
      this.nonces[tx.from] = nonce + 1;
      raw.push(
        await account.signTransaction({
          type: 'legacy',
          chainId: this.chainId,
          nonce,
          gas: tx.gas,
          gasPrice: BASE_GAS_PRICE + n - BigInt(i),
          data: tx.data,
          value: 0n,
          ...(tx.to === undefined ? {} : { to: tx.to }),
        }),
      );
    }
    return raw;
  }

  /** `eth_sendTransaction` with every field set: anvil signs for its unlocked dev accounts. */
  private sendUnsigned(txs: readonly PlannedTx[]): Promise<Hex[]> {
    const n = BigInt(txs.length);
    const hex = (v: bigint | number): Hex => `0x${v.toString(16)}`;
    return this.rpc.batch<Hex>(
      txs.map((tx, i) => {
        const nonce = this.nonces[tx.from] ?? 0;
        this.nonces[tx.from] = nonce + 1;
        return {
          method: 'eth_sendTransaction',
          params: [
            {
              from: this.accounts[tx.from]?.address,
              ...(tx.to === undefined ? {} : { to: tx.to }),
              data: tx.data,
              gas: hex(tx.gas),
              gasPrice: hex(BASE_GAS_PRICE + n - BigInt(i)),
              nonce: hex(nonce),
              value: '0x0',
            },
          ],
        };
      }),
    );
  }

  private send(raw: readonly Hex[]): Promise<Hex[]> {
    return this.rpc.batch<Hex>(raw.map((r) => ({ method: 'eth_sendRawTransaction', params: [r] })));
  }

  /** Receipts of `hashes`, from the blocks mined since the last call. */
  private async collectReceipts(hashes: readonly Hex[]): Promise<RpcReceipt[]> {
    const head = BigInt(await this.rpc.request<Hex>('eth_blockNumber'));
    const numbers: bigint[] = [];
    for (let b = this.head + 1n; b <= head; b++) numbers.push(b);
    this.head = head;
    const blocks = await this.rpc.batch<RpcReceipt[]>(
      numbers.map((b) => ({ method: 'eth_getBlockReceipts', params: [`0x${b.toString(16)}`] })),
    );
    const all = blocks.flat();
    if (this.strict) {
      const same =
        numbers.length === 1 &&
        all.length === hashes.length &&
        all.every((r, i) => r.transactionHash === hashes[i]);
      if (!same) {
        throw new TickstreamError(
          'DEVNET_ERROR',
          'the mined block does not hold exactly the planned transactions in order',
          {
            details: { blocks: numbers.map(String), planned: hashes.length, mined: all.length },
          },
        );
      }
      return all;
    }
    const byHash = new Map(all.map((r) => [r.transactionHash, r]));
    const missing = hashes.filter((h) => !byHash.has(h));
    if (missing.length > 0) {
      // Mined elsewhere (interval mining) or not at all: ask for each.
      const extra = await this.rpc.batch<RpcReceipt | null>(
        missing.map((h) => ({ method: 'eth_getTransactionReceipt', params: [h] })),
      );
      for (const r of extra) if (r !== null) byHash.set(r.transactionHash, r);
    }
    return hashes.map((h) => {
      const r = byHash.get(h);
      if (r === undefined) throw new TickstreamError('DEVNET_ERROR', `transaction ${h} was not mined`);
      return r;
    });
  }
}
