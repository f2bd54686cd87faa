import { TickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  isBadData,
  isRangeTooLarge,
  isUnknownBlock,
  isUnknownBlockMessage,
  rangeTooLargeError,
  unknownBlockError,
} from './classify';

describe('classifyFailure', () => {
  it.each([
    'query returned more than 10000 results',
    'Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range',
    'eth_getLogs is limited to a 10,000 range',
    'block range is too wide',
    'exceed maximum block range: 5000',
    'block range too large',
    'too many blocks',
    'limit exceeded',
    'query returned more than 20,000 results. Try with this block range [0x1, 0x2].',
  ])('behavior: "%s" is range-too-large', (message) => {
    expect(classifyFailure({ message, rpcCode: -32005 })).toBe('range-too-large');
  });

  it.each([
    [{ message: 'Too Many Requests', status: 429 }],
    [{ message: 'HTTP 429: slow down', status: 429 }],
    [{ message: 'daily request count exceeded, request rate limited', rpcCode: -32005 }],
    [{ message: 'rate limit exceeded', rpcCode: -32005 }],
    [{ message: 'Your app has exceeded its compute units per second capacity', rpcCode: 429 }],
  ])('behavior: %j is rate-limit (checked before range words)', (f) => {
    expect(classifyFailure(f)).toBe('rate-limit');
  });

  it('behavior: timeouts, HTTP failures and other RPC errors', () => {
    expect(classifyFailure({ message: 'no answer within 100 ms', timeout: true })).toBe('timeout');
    expect(classifyFailure({ message: 'HTTP 502: bad gateway', status: 502 })).toBe('transport');
    expect(classifyFailure({ message: 'HTTP request failed: ECONNREFUSED' })).toBe('transport');
    expect(classifyFailure({ message: 'injected: upstream busy', rpcCode: -32000 })).toBe('rpc');
    expect(classifyFailure({ message: 'header not found', rpcCode: -32000 })).toBe('rpc');
  });
});

describe('error predicates', () => {
  it('default: a range-too-large error is a retryable RPC_ERROR flagged rangeTooLarge', () => {
    const e = rangeTooLargeError('eth_getLogs 1..9', '#0 host', new Error('too many results'));
    expect(e).toMatchObject({ code: 'RPC_ERROR', retryable: true, details: { rangeTooLarge: true } });
    expect(isRangeTooLarge(e)).toBe(true);
    expect(isRangeTooLarge(new TickstreamError('RPC_ERROR', 'x', { retryable: true }))).toBe(false);
    expect(isRangeTooLarge(new Error('query returned more than 10000 results'))).toBe(false);
  });
  it('default: malformed and inconsistent answers are bad data, other errors are not', () => {
    expect(isBadData(new TickstreamError('RPC_MALFORMED', 'x'))).toBe(true);
    expect(isBadData(new TickstreamError('RPC_INCONSISTENT', 'x'))).toBe(true);
    expect(isBadData(new TickstreamError('RPC_ERROR', 'x'))).toBe(false);
    expect(isBadData(new Error('x'))).toBe(false);
  });
});

describe('unknown block', () => {
  it.each(['unknown block', 'block not found', 'header not found'])(
    'behavior: "%s" means the block left the chain',
    (m) => {
      expect(isUnknownBlockMessage(`eth_getLogs: ${m}`)).toBe(true);
    },
  );
  it('behavior: its error is told apart from provider faults', () => {
    expect(isUnknownBlock(unknownBlockError('logs of block 9', 'a', new Error('unknown block')))).toBe(true);
    expect(isUnknownBlockMessage('connection reset')).toBe(false);
  });
});
