/**
 * The chain as the oracle: compares the projection in Postgres with what the contracts return by
 * `eth_call` at one block. Every mismatch becomes one line of the returned list; a correct projection
 * returns []. Sets are compared both ways (a tick or position missing on either side is reported), with
 * the chain's sets found independently: initialized ticks from `tickBitmap(word)` over every word,
 * positions from the pools' Mint logs, tokens from the position manager's Transfer logs.
 */
import {
  nonfungiblePositionManagerAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from '@tickstream/deploy/devnet';
import type pg from 'pg';
import {
  type Address,
  createPublicClient,
  encodePacked,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
} from 'viem';

export interface OracleTarget {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly factory: Address;
  readonly positionManager: Address;
  readonly block: number;
}

type Client = ReturnType<typeof createPublicClient>;
type Row = Record<string, string | number | boolean | null>;

const MAX_TICK = 887272;

function diff(out: string[], what: string, db: unknown, chain: unknown): void {
  const a = typeof db === 'bigint' ? db.toString() : String(db);
  const b = typeof chain === 'bigint' ? chain.toString() : String(chain);
  if (a !== b) out.push(`${what}: db ${a}, chain ${b}`);
}

function setDiff(out: string[], what: string, db: Set<string>, chain: Set<string>): void {
  for (const k of chain) if (!db.has(k)) out.push(`${what} ${k}: on chain, missing in db`);
  for (const k of db) if (!chain.has(k)) out.push(`${what} ${k}: in db, not on chain`);
}

async function chainPools(client: Client, t: OracleTarget): Promise<Address[]> {
  const logs = await client.getLogs({ address: t.factory, fromBlock: 0n, toBlock: BigInt(t.block) });
  return parseEventLogs({ abi: uniswapV3FactoryAbi, eventName: 'PoolCreated', logs }).map(
    (l) => l.args.pool.toLowerCase() as Address,
  );
}

async function comparePool(client: Client, db: pg.Pool, t: OracleTarget, row: Row, out: string[]) {
  const address = row.address as Address;
  const call = <F extends string>(functionName: F, args: readonly unknown[] = []) =>
    client.readContract({
      address,
      abi: uniswapV3PoolAbi,
      functionName: functionName as never,
      args: args as never,
      blockNumber: BigInt(t.block),
    }) as Promise<unknown>;
  const [slot0, liquidity, fg0, fg1, fees] = (await Promise.all([
    call('slot0'),
    call('liquidity'),
    call('feeGrowthGlobal0X128'),
    call('feeGrowthGlobal1X128'),
    call('protocolFees'),
  ])) as [
    readonly [bigint, number, number, number, number, number, boolean],
    bigint,
    bigint,
    bigint,
    readonly [bigint, bigint],
  ];
  const p = `pool ${address}`;
  diff(out, `${p} sqrtPriceX96`, row.sqrt_price_x96, slot0[0]);
  if (slot0[0] !== 0n) diff(out, `${p} tick`, row.tick, slot0[1]);
  diff(out, `${p} feeProtocol`, row.fee_protocol, slot0[5]);
  diff(out, `${p} observationCardinalityNext`, row.observation_cardinality_next, slot0[4]);
  diff(out, `${p} liquidity`, row.liquidity, liquidity);
  diff(out, `${p} feeGrowthGlobal0X128`, row.fee_growth_global0_x128, fg0);
  diff(out, `${p} feeGrowthGlobal1X128`, row.fee_growth_global1_x128, fg1);
  diff(out, `${p} protocolFees.token0`, row.protocol_fees_token0, fees[0]);
  diff(out, `${p} protocolFees.token1`, row.protocol_fees_token1, fees[1]);

  // Initialized ticks on chain, from the bitmap: every word a tick of this spacing can fall in.
  const spacing = Number(row.tick_spacing);
  const minWord = Math.floor(Math.floor(-MAX_TICK / spacing) / 256);
  const maxWord = Math.floor(Math.floor(MAX_TICK / spacing) / 256);
  const words: number[] = [];
  for (let w = minWord; w <= maxWord; w++) words.push(w);
  const bitmaps = (await Promise.all(words.map((w) => call('tickBitmap', [w])))) as bigint[];
  const chainTicks: number[] = [];
  bitmaps.forEach((bits, i) => {
    for (let b = 0; b < 256; b++)
      if ((bits >> BigInt(b)) & 1n) chainTicks.push((words[i]! * 256 + b) * spacing);
  });
  const { rows: dbTicks } = await db.query<Row>('SELECT * FROM ticks WHERE chain_id = $1 AND pool = $2', [
    t.chainId,
    address,
  ]);
  const byTick = new Map(dbTicks.map((r) => [Number(r.tick), r]));
  setDiff(out, `${p} tick`, new Set([...byTick.keys()].map(String)), new Set(chainTicks.map(String)));
  const infos = (await Promise.all(chainTicks.map((tick) => call('ticks', [tick])))) as (readonly [
    bigint,
    bigint,
    bigint,
    bigint,
  ])[];
  chainTicks.forEach((tick, i) => {
    const r = byTick.get(tick);
    const info = infos[i]!;
    if (r === undefined) return;
    diff(out, `${p} tick ${tick} liquidityGross`, r.liquidity_gross, info[0]);
    diff(out, `${p} tick ${tick} liquidityNet`, r.liquidity_net, info[1]);
    diff(out, `${p} tick ${tick} feeGrowthOutside0X128`, r.fee_growth_outside0_x128, info[2]);
    diff(out, `${p} tick ${tick} feeGrowthOutside1X128`, r.fee_growth_outside1_x128, info[3]);
  });

  // Positions: every (owner, range) that ever minted in this pool, on chain and in the db.
  const mints = parseEventLogs({
    abi: uniswapV3PoolAbi,
    eventName: 'Mint',
    logs: await client.getLogs({ address, fromBlock: 0n, toBlock: BigInt(t.block) }),
  });
  const keys = new Map<string, { owner: Address; lower: number; upper: number }>();
  for (const m of mints) {
    const owner = m.args.owner.toLowerCase() as Address;
    keys.set(`${owner}:${m.args.tickLower}:${m.args.tickUpper}`, {
      owner,
      lower: m.args.tickLower,
      upper: m.args.tickUpper,
    });
  }
  const { rows: dbPositions } = await db.query<Row>(
    'SELECT * FROM positions WHERE chain_id = $1 AND pool = $2',
    [t.chainId, address],
  );
  const byKey = new Map(dbPositions.map((r) => [`${r.owner}:${r.tick_lower}:${r.tick_upper}`, r]));
  setDiff(out, `${p} position`, new Set(byKey.keys()), new Set(keys.keys()));
  const entries = [...keys.entries()];
  const positions = (await Promise.all(
    entries.map(([, k]) =>
      call('positions', [
        keccak256(encodePacked(['address', 'int24', 'int24'], [k.owner, k.lower, k.upper])),
      ]),
    ),
  )) as (readonly [bigint, bigint, bigint, bigint, bigint])[];
  entries.forEach(([key], i) => {
    const r = byKey.get(key);
    const onChain = positions[i]!;
    if (r === undefined) return;
    diff(out, `${p} position ${key} liquidity`, r.liquidity, onChain[0]);
    diff(out, `${p} position ${key} feeGrowthInside0LastX128`, r.fee_growth_inside0_last_x128, onChain[1]);
    diff(out, `${p} position ${key} feeGrowthInside1LastX128`, r.fee_growth_inside1_last_x128, onChain[2]);
    diff(out, `${p} position ${key} tokensOwed0`, r.tokens_owed0, onChain[3]);
    diff(out, `${p} position ${key} tokensOwed1`, r.tokens_owed1, onChain[4]);
  });
}

async function compareNfts(client: Client, db: pg.Pool, t: OracleTarget, out: string[]): Promise<number> {
  const transfers = parseEventLogs({
    abi: nonfungiblePositionManagerAbi,
    eventName: 'Transfer',
    logs: await client.getLogs({ address: t.positionManager, fromBlock: 0n, toBlock: BigInt(t.block) }),
  });
  const zero = '0x0000000000000000000000000000000000000000';
  const burned = new Set<bigint>();
  const minted = new Set<bigint>();
  for (const tr of transfers) {
    if (tr.args.from === zero) minted.add(tr.args.tokenId);
    if (tr.args.to === zero) burned.add(tr.args.tokenId);
  }
  const { rows } = await db.query<Row>('SELECT * FROM nft_positions WHERE chain_id = $1', [t.chainId]);
  const byId = new Map(rows.map((r) => [BigInt(r.token_id as string), r]));
  setDiff(out, 'token', new Set([...byId.keys()].map(String)), new Set([...minted].map(String)));
  const blockNumber = BigInt(t.block);
  const npm = { address: t.positionManager, abi: nonfungiblePositionManagerAbi, blockNumber } as const;
  await Promise.all(
    [...minted].map(async (id) => {
      const r = byId.get(id);
      if (r === undefined) return;
      diff(out, `token ${id} burned`, r.burned, burned.has(id));
      if (burned.has(id)) return;
      const [pos, owner] = await Promise.all([
        client.readContract({ ...npm, functionName: 'positions', args: [id] }),
        client.readContract({ ...npm, functionName: 'ownerOf', args: [id] }),
      ]);
      const pool = await client.readContract({
        address: t.factory,
        abi: uniswapV3FactoryAbi,
        functionName: 'getPool',
        args: [pos[2], pos[3], pos[4]],
        blockNumber,
      });
      diff(out, `token ${id} owner`, r.owner, owner.toLowerCase());
      diff(out, `token ${id} pool`, r.pool, pool.toLowerCase());
      diff(out, `token ${id} tickLower`, r.tick_lower, pos[5]);
      diff(out, `token ${id} tickUpper`, r.tick_upper, pos[6]);
      diff(out, `token ${id} liquidity`, r.liquidity, pos[7]);
    }),
  );
  return minted.size;
}

/** What was compared, for the test's own sanity checks (a comparison of nothing proves nothing). */
export interface OracleReport {
  readonly differences: string[];
  readonly pools: number;
  readonly ticks: number;
  readonly positions: number;
  readonly tokens: number;
}

/**
 * Compares every pool, tick, position and NFT of the projection with the chain at `t.block`.
 *
 * @example
 * const { differences } = await compareWithChain(pg, target); // expect(differences).toEqual([])
 */
export async function compareWithChain(db: pg.Pool, t: OracleTarget): Promise<OracleReport> {
  const client = createPublicClient({
    transport: http(t.rpcUrl, { batch: { batchSize: 500 }, timeout: 120_000 }),
  });
  const out: string[] = [];
  const pools = await chainPools(client, t);
  const { rows } = await db.query<Row>('SELECT * FROM pools WHERE chain_id = $1', [t.chainId]);
  setDiff(out, 'pool', new Set(rows.map((r) => String(r.address))), new Set(pools));
  for (const row of rows) await comparePool(client, db, t, row, out);
  const tokens = await compareNfts(client, db, t, out);
  const count = async (table: string) =>
    Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE chain_id = $1`, [t.chainId])).rows[0].n);
  return {
    differences: out,
    pools: pools.length,
    ticks: await count('ticks'),
    positions: await count('positions'),
    tokens,
  };
}

export type { Hex };
