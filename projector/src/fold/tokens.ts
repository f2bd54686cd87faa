import { MAX_UINT128 } from '../math';
import type {
  DecreaseLiquidityEvent,
  Hex,
  IncreaseLiquidityEvent,
  ManagerCollectEvent,
  ManagerEvent,
  TransferEvent,
} from './events';
import { invariantError } from './invariant';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** One NonfungiblePositionManager token: who holds it and the pool position it stands for. */
export interface TokenPosition {
  /** Lowercased. */
  owner: Hex;
  /** null from the mint Transfer until the first IncreaseLiquidity tells the pool and range. */
  pool: Hex | null;
  tickLower: number;
  tickUpper: number;
  liquidity: bigint;
}

/** The position manager's tokens by id, and the ids changed (or burned) since the last takeTokenChanges. */
export interface TokenState {
  readonly tokens: Map<bigint, TokenPosition>;
  dirty: Set<bigint>;
}

/** The pool Mint (owner = the position manager) just before an IncreaseLiquidity in the same transaction. */
export interface MintContext {
  readonly pool: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
}

/**
 * No tokens yet.
 *
 * @example
 * const tokens = createTokenState();
 */
export function createTokenState(): TokenState {
  return { tokens: new Map(), dirty: new Set() };
}

/**
 * Hand over the token ids changed since the last call (absent from `state.tokens` = burned).
 *
 * @example
 * for (const id of takeTokenChanges(tokens)) write(id, tokens.tokens.get(id));
 */
export function takeTokenChanges(state: TokenState): Set<bigint> {
  const changed = state.dirty;
  state.dirty = new Set();
  return changed;
}

function tokenOf(state: TokenState, event: ManagerEvent): TokenPosition {
  const token = state.tokens.get(event.tokenId);
  if (token === undefined) throw invariantError(event, `token ${event.tokenId}`, 'the token does not exist');
  return token;
}

function transfer(state: TokenState, event: TransferEvent): void {
  const from = event.from.toLowerCase() as Hex;
  const to = event.to.toLowerCase() as Hex;
  const subject = `token ${event.tokenId}`;
  if (from === ZERO_ADDRESS) {
    if (state.tokens.has(event.tokenId)) throw invariantError(event, subject, 'minted twice');
    state.tokens.set(event.tokenId, { owner: to, pool: null, tickLower: 0, tickUpper: 0, liquidity: 0n });
    return;
  }
  const token = tokenOf(state, event);
  if (token.owner !== from)
    throw invariantError(event, subject, `transferred from ${from}, owned by ${token.owner}`);
  if (to !== ZERO_ADDRESS) token.owner = to;
  else if (token.liquidity !== 0n)
    throw invariantError(event, subject, `burned with liquidity ${token.liquidity}`);
  else state.tokens.delete(event.tokenId);
}

function increase(state: TokenState, event: IncreaseLiquidityEvent, context: MintContext | undefined): void {
  const token = tokenOf(state, event);
  const subject = `token ${event.tokenId}`;
  if (token.pool === null) {
    if (context === undefined)
      throw invariantError(event, subject, 'first IncreaseLiquidity without its pool Mint');
    token.pool = context.pool.toLowerCase() as Hex;
    token.tickLower = context.tickLower;
    token.tickUpper = context.tickUpper;
  } else if (
    context !== undefined &&
    (context.pool.toLowerCase() !== token.pool ||
      context.tickLower !== token.tickLower ||
      context.tickUpper !== token.tickUpper)
  ) {
    throw invariantError(
      event,
      subject,
      `pool Mint ${context.pool} [${context.tickLower}, ${context.tickUpper}]`,
      {
        token,
      },
    );
  }
  const liquidity = token.liquidity + event.liquidity;
  if (liquidity > MAX_UINT128) throw invariantError(event, subject, 'liquidity overflows uint128');
  token.liquidity = liquidity;
}

function decrease(state: TokenState, event: DecreaseLiquidityEvent): void {
  const token = tokenOf(state, event);
  if (event.liquidity > token.liquidity) {
    throw invariantError(event, `token ${event.tokenId}`, `removes ${event.liquidity} of ${token.liquidity}`);
  }
  token.liquidity -= event.liquidity;
}

function collect(state: TokenState, event: ManagerCollectEvent): void {
  tokenOf(state, event); // only checks the token exists: tokensOwed are not projected here
}

/**
 * The position-manager fold, in place. `context` is needed by the first IncreaseLiquidity of a token (the
 * one in `mint`): the NFT events do not name the pool, so the caller passes the pool `Mint` whose owner is
 * the position manager, emitted just before it in the same transaction. For later IncreaseLiquidity events
 * it is optional and, when given, must match. Order within a mint: pool Mint, Transfer(0x0 → owner),
 * IncreaseLiquidity.
 *
 * @example
 * evolveTokens(tokens, transferFromZero);
 * evolveTokens(tokens, increaseLiquidity, { pool: mint.log.address, tickLower: mint.tickLower, tickUpper: mint.tickUpper });
 */
export function evolveTokens(state: TokenState, event: ManagerEvent, context?: MintContext): TokenState {
  switch (event.type) {
    case 'Transfer':
      transfer(state, event);
      break;
    case 'IncreaseLiquidity':
      increase(state, event, context);
      break;
    case 'DecreaseLiquidity':
      decrease(state, event);
      break;
    case 'ManagerCollect':
      collect(state, event);
      return state;
    default:
      throw invariantError(event satisfies never, 'position manager', 'unknown position manager event');
  }
  state.dirty.add(event.tokenId);
  return state;
}
