import { type ErrorCode, isTickstreamError, type Logger, TickstreamError } from '@tickstream/shared';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error body of the api: `{ error: { code, message } }`. */
export interface ErrorEnvelope {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

/** HTTP status per error code. Codes not listed are server faults: 500 with a generic message. */
const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  NOT_READY: 503,
};

/**
 * Maps any thrown value to a status and the envelope, in one place. Client errors (4xx) and NOT_READY
 * keep their message, which names the parameter or the lag; everything else becomes a generic message,
 * logged with its cause.
 *
 * @example
 * toErrorResponse(new TickstreamError('NOT_FOUND', 'pool 0xab… not found'))
 * // { status: 404, body: { error: { code: 'NOT_FOUND', message: 'pool 0xab… not found' } } }
 */
export function toErrorResponse(err: unknown): { status: ContentfulStatusCode; body: ErrorEnvelope } {
  if (isTickstreamError(err)) {
    const status = STATUS[err.code];
    if (status !== undefined) return { status, body: envelope(err.code, err.message) };
    return { status: 500, body: envelope(err.code, `internal error (${err.code}); see the api log`) };
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Raised by hono itself (e.g. a malformed URL): a client error we did not word ourselves.
    return {
      status: err.status as ContentfulStatusCode,
      body: envelope(err.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', err.message || 'bad request'),
    };
  }
  return { status: 500, body: envelope('INTERNAL', 'internal error; see the api log') };
}

function envelope(code: ErrorCode, message: string): ErrorEnvelope {
  return { error: { code, message } };
}

/** `app.onError`: the envelope for every error, logged at a level that fits who is at fault. */
export function onError(log: Logger) {
  return (err: Error, c: Context) => {
    const { status, body } = toErrorResponse(err);
    const where = { method: c.req.method, path: c.req.path, status, code: body.error.code };
    if (status >= 500 && status !== 503) log.error({ ...where, err }, 'request failed');
    else log.debug({ ...where, message: body.error.message }, 'request refused');
    return c.json(body, status);
  };
}

/** `app.notFound`: unknown routes get the envelope with 404. */
export function onNotFound(c: Context) {
  const body: ErrorEnvelope = envelope('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`);
  return c.json(body, 404);
}

/** Shorthands for the errors routes raise. */
export const badRequest = (message: string) => new TickstreamError('BAD_REQUEST', message);
export const notFound = (message: string) => new TickstreamError('NOT_FOUND', message);
export const notReady = (message: string) => new TickstreamError('NOT_READY', message, { retryable: true });
