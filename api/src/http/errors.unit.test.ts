import { TickstreamError } from '@tickstream/shared';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from './errors';

describe('toErrorResponse', () => {
  it.each([
    ['BAD_REQUEST', 400],
    ['NOT_FOUND', 404],
    ['NOT_READY', 503],
  ] as const)('default: %s keeps its message, status %i', (code, status) => {
    expect(toErrorResponse(new TickstreamError(code, 'why'))).toEqual({
      status,
      body: { error: { code, message: 'why' } },
    });
  });

  it('behavior: other codes are 500 with a generic message', () => {
    const res = toErrorResponse(new TickstreamError('STORE_ERROR', 'password=secret in the url'));
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('STORE_ERROR');
    expect(res.body.error.message).not.toContain('secret');
  });

  it('behavior: unknown errors are INTERNAL 500 and say nothing of the cause', () => {
    expect(toErrorResponse(new Error('relation "pools" does not exist'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error; see the api log' } },
    });
  });

  it("behavior: hono's client errors keep their status", () => {
    const res = toErrorResponse(new HTTPException(400, { message: 'Malformed URI' }));
    expect(res).toEqual({ status: 400, body: { error: { code: 'BAD_REQUEST', message: 'Malformed URI' } } });
  });
});
