/**
 * The one error family of Tickstream. Every error we throw on purpose is a `TickstreamError` with a
 * stable `code`, a `retryable` flag (may the same call succeed if tried again?) and an optional cause.
 *
 * @example
 * throw new TickstreamError('RPC_MALFORMED', 'eth_getLogs returned a log without blockHash', {
 *   retryable: true,
 *   details: { fromBlock: 10, toBlock: 20 },
 * });
 */
export class TickstreamError extends Error {
  override readonly name: string = 'TickstreamError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions2 = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
  }
}

export interface ErrorOptions2 {
  readonly retryable?: boolean;
  readonly cause?: unknown;
  readonly details?: Record<string, unknown>;
}

/** Every code we use, with what it means. The api maps them to HTTP status in one place. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'a setting is missing or malformed',
  RPC_ERROR: 'the RPC answered with an error',
  RPC_MALFORMED: 'the RPC answered with data that does not have the expected shape',
  RPC_INCONSISTENT: 'the RPC answered with data that contradicts other answers',
  REORG_DETECTED: 'a block does not link to the stored parent hash',
  REORG_TOO_DEEP: 'a reorg goes deeper than the finality depth',
  LEDGER_ERROR: 'the ledger (JetStream) refused or lost a write',
  LEDGER_MALFORMED: 'a ledger entry could not be decoded',
  CHECKPOINT_CONFLICT: 'another writer moved the checkpoint',
  STORE_ERROR: 'a store (Postgres, Redis) failed',
  PROJECTION_INVARIANT: 'a ledger entry contradicts the projected state',
  FENCED: 'a command carries a fencing token lower than one already seen',
  COORDINATOR_UNAVAILABLE: 'etcd or the coordinator leader cannot be reached',
  BAD_REQUEST: 'a request parameter is malformed',
  NOT_FOUND: 'the requested thing does not exist',
  NOT_READY: 'the service has not caught up yet',
  DEVNET_ERROR: 'the local devnet failed',
  STACK_ERROR: 'a local service could not be started',
  INTERNAL: 'a bug: an invariant of our own code does not hold',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `err` is a TickstreamError, optionally with one of `codes`. */
export function isTickstreamError(err: unknown, ...codes: ErrorCode[]): err is TickstreamError {
  return err instanceof TickstreamError && (codes.length === 0 || codes.includes(err.code));
}

/** True when trying the same call again may succeed. Unknown errors (network resets) count as retryable. */
export function isRetryable(err: unknown): boolean {
  return err instanceof TickstreamError ? err.retryable : true;
}

/** A one-line description of an error and its causes, for logs and CLI output. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(cur instanceof TickstreamError ? `${cur.code}: ${cur.message}` : cur.message);
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join(' <- ');
}
