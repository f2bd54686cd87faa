import { isTickstreamError, TickstreamError } from '@tickstream/shared';

/**
 * What one failed provider call means, which decides what the pool does next:
 * - `rate-limit`: HTTP 429 or a "rate limit" answer; the provider's token bucket halves, try another.
 * - `range-too-large`: the question was too big ("query returned more than 10000 results", "block
 *   range too large", …); no provider is at fault, the caller splits the range.
 * - `timeout`, `transport` (connection, HTTP status, unreadable body), `rpc` (any other JSON-RPC
 *   error): the provider failed; it cools down for a while that grows, try another.
 * - `bad-data`: it answered, but the answer failed our checks (RPC_MALFORMED / RPC_INCONSISTENT);
 *   it is demoted (a long cool-down) and the data is fetched from another.
 */
export type FailureKind = 'rate-limit' | 'range-too-large' | 'timeout' | 'transport' | 'rpc' | 'bad-data';

/** The facts of a failed call that classification looks at. */
export interface CallFailure {
  readonly message: string;
  /** HTTP status, when the failure was an HTTP answer other than 200. */
  readonly status?: number;
  /** JSON-RPC error code, when the node answered with an error object. */
  readonly rpcCode?: number;
  readonly timeout?: boolean;
}

const RATE_LIMIT =
  /rate[ -]?limit|too many requests|request rate|requests per second|exceeded .*capacity|daily request count|compute units|throughput limit|credits? (quota|exhausted)/i;

/**
 * Providers' many ways of saying "ask for less". Geth/Infura: "query returned more than 10000
 * results"; Alchemy: "Log response size exceeded"; QuickNode: "eth_getLogs is limited to a 10,000
 * range"; Ankr: "block range is too wide"; Geth: "exceed maximum block range: 5000"; others: "block
 * range too large", "too many blocks", "limit exceeded", "max results".
 */
const RANGE_TOO_LARGE =
  /returned more than [\d,]+ results|more than [\d,]+ (results|logs)|too many (results|logs|blocks)|response size|range (is )?too (large|wide|big)|block range|blocks? range|max(imum)? (block )?range|limited to a [\d,]+|range limit|limit exceeded|max(imum)? results|result set too large|query (is )?too (large|big)/i;

/**
 * Pure: classifies a failed provider call (not a failed check; those are `bad-data`).
 *
 * @example classifyFailure({ message: 'query returned more than 10000 results', rpcCode: -32005 })
 * // 'range-too-large'
 */
export function classifyFailure(f: CallFailure): FailureKind {
  if (f.timeout === true) return 'timeout';
  if (f.status === 429 || RATE_LIMIT.test(f.message)) return 'rate-limit';
  if (RANGE_TOO_LARGE.test(f.message)) return 'range-too-large';
  if (f.rpcCode !== undefined && f.status === undefined) return 'rpc';
  return 'transport';
}

/**
 * "The node does not know this block" (geth: "unknown block", others: "block not found", "header not
 * found"): asked by hash, it means the block left the chain between two reads — a reorg, not a
 * provider fault to retry.
 */
const UNKNOWN_BLOCK = /unknown block|block not found|header not found|could not find block/i;

export function isUnknownBlockMessage(message: string): boolean {
  return UNKNOWN_BLOCK.test(message);
}

/** The error for an unknown block: retryable, but by reading the chain again, not by asking again. */
export function unknownBlockError(what: string, provider: string, cause: unknown): TickstreamError {
  return new TickstreamError(
    'RPC_ERROR',
    `${what}: ${provider} does not know the block: ${messageOf(cause)}`,
    {
      retryable: true,
      cause,
      details: { unknownBlock: true, provider },
    },
  );
}

/** True for `unknownBlockError`. */
export function isUnknownBlock(err: unknown): boolean {
  return isTickstreamError(err) && err.details.unknownBlock === true;
}

/** True for a failed answer check: the provider answered data we must not keep. */
export function isBadData(err: unknown): boolean {
  return isTickstreamError(err, 'RPC_MALFORMED', 'RPC_INCONSISTENT');
}

/**
 * True when a call failed because the question was too big (a range to split). Recognises the
 * planned code RPC_RANGE_TOO_LARGE and, meanwhile, RPC_ERROR with `details.rangeTooLarge`.
 */
export function isRangeTooLarge(err: unknown): boolean {
  if (!isTickstreamError(err)) return false;
  return (err.code as string) === 'RPC_RANGE_TOO_LARGE' || err.details.rangeTooLarge === true;
}

/** The retryable error for a question too big for a provider; the backfill answers it by splitting. */
export function rangeTooLargeError(what: string, provider: string, cause: unknown): TickstreamError {
  return new TickstreamError('RPC_ERROR', `${what}: range too large for ${provider}: ${messageOf(cause)}`, {
    retryable: true,
    cause,
    details: { rangeTooLarge: true, provider },
  });
}

/** The first line of an error's message. */
export function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0] ?? m;
}
