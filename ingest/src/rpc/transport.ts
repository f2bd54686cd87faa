import { isAscii } from 'node:buffer';
import http from 'node:http';
import https from 'node:https';
import type { CallFailure } from './classify';

/** A failed call to one provider, with what classification needs. */
export class ProviderCallError extends Error implements CallFailure {
  override readonly name = 'ProviderCallError';
  readonly status?: number;
  readonly rpcCode?: number;
  readonly timeout?: boolean;
  /** From a Retry-After header, when the provider sent one. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    facts: { status?: number; rpcCode?: number; timeout?: boolean; retryAfterMs?: number },
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    if (facts.status !== undefined) this.status = facts.status;
    if (facts.rpcCode !== undefined) this.rpcCode = facts.rpcCode;
    if (facts.timeout !== undefined) this.timeout = facts.timeout;
    if (facts.retryAfterMs !== undefined) this.retryAfterMs = facts.retryAfterMs;
  }
}

/** One provider's wire: sends one JSON-RPC call, returns its `result` or throws ProviderCallError. */
export interface ProviderTransport {
  send(method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown>;
}

function retryAfterMsOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The answer of an HTTP call as text: one-byte decoding when it is ASCII (it nearly always is: hex). */
function textOf(body: Buffer): string {
  return body.toString(isAscii(body) ? 'latin1' : 'utf8');
}

/** Turns an HTTP answer into the call's result, or throws ProviderCallError. */
function resultOf(status: number, retryAfter: string | null, body: Buffer): unknown {
  if (status !== 200) {
    const retryAfterMs = retryAfterMsOf(retryAfter);
    throw new ProviderCallError(`HTTP ${status}: ${textOf(body).slice(0, 200)}`, {
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  let answer: { result?: unknown; error?: { code?: unknown; message?: unknown } | null };
  try {
    answer = JSON.parse(textOf(body)) as typeof answer;
  } catch (cause) {
    throw new ProviderCallError(`answer is not JSON: ${textOf(body.subarray(0, 100))}`, {}, cause);
  }
  if (answer.error !== undefined && answer.error !== null) {
    const code = typeof answer.error.code === 'number' ? answer.error.code : undefined;
    throw new ProviderCallError(
      String(answer.error.message ?? JSON.stringify(answer.error)),
      code === undefined ? {} : { rpcCode: code },
    );
  }
  return answer.result;
}

/**
 * JSON-RPC over HTTP(S) with Node's own client and a keep-alive agent, one call per request:
 * concurrent calls run on parallel connections and each answer is attributed to its own call. No
 * size limit on answers. (Node's http costs less per call than fetch, and a Buffer decodes faster.)
 */
export function httpTransport(url: string): ProviderTransport {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });
  let id = 0;
  return {
    send(method, params, timeoutMs) {
      const payload = JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params });
      return new Promise<unknown>((resolve, reject) => {
        let timedOut = false;
        let settled = false;
        const req = client.request(
          target,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (settled) return;
              settled = true;
              clearTimeout(timer);
              try {
                const retryAfter = res.headers['retry-after'];
                resolve(resultOf(res.statusCode ?? 0, retryAfter ?? null, Buffer.concat(chunks)));
              } catch (err) {
                reject(err);
              }
            });
            res.on('error', fail);
            res.on('close', () => fail(new Error('connection closed before the answer was complete')));
          },
        );
        function fail(cause: Error): void {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(
            timedOut
              ? new ProviderCallError(`no answer within ${timeoutMs} ms`, { timeout: true }, cause)
              : new ProviderCallError(`HTTP request failed: ${cause.message}`, {}, cause),
          );
        }
        const timer = setTimeout(() => {
          timedOut = true;
          req.destroy(new Error(`timeout after ${timeoutMs} ms`));
        }, timeoutMs);
        req.on('error', fail);
        req.end(payload);
      });
    },
  };
}

/** Something with viem's `request`: a viem client or transport (used for ws:// providers). */
export interface RequestFn {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

/**
 * A provider behind a viem client (WebSocket endpoints, or a client a caller already has). Its own
 * retries must be off; its timeout is the client's.
 */
export function viemTransport(client: RequestFn): ProviderTransport {
  return {
    async send(method, params) {
      try {
        return await client.request({ method, params });
      } catch (cause) {
        const e = cause as Error & { status?: unknown; code?: unknown; details?: unknown; name?: string };
        const status = typeof e.status === 'number' ? e.status : undefined;
        const rpcCode = typeof e.code === 'number' ? e.code : undefined;
        const message = typeof e.details === 'string' && e.details !== '' ? e.details : e.message;
        throw new ProviderCallError(
          message,
          {
            ...(status === undefined ? {} : { status }),
            ...(rpcCode === undefined ? {} : { rpcCode }),
            ...(e.name === 'TimeoutError' ? { timeout: true } : {}),
          },
          cause,
        );
      }
    },
  };
}
