import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcCall {
  readonly id: unknown;
  readonly method: string;
  readonly params: unknown[];
}

/**
 * What to do with one JSON-RPC call: pass it on, answer with an RPC error, fail the whole HTTP
 * request, delay it, pass it on and rewrite its result, or never answer (`hang`: the HTTP request
 * stays open until the client gives up or the proxy stops).
 */
export type Fault =
  | { readonly kind: 'pass' }
  | { readonly kind: 'rpc-error'; readonly message: string }
  | { readonly kind: 'http-error'; readonly status: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'rewrite'; readonly rewrite: (result: unknown) => unknown }
  | { readonly kind: 'hang' };

export interface FaultProxy {
  readonly url: string;
  /** Calls seen, by method. */
  readonly seen: Map<string, number>;
  /** Faults injected, by kind. */
  readonly injected: Map<string, number>;
  setRule(rule: (call: RpcCall) => Fault): void;
  stop(): Promise<void>;
}

/**
 * A JSON-RPC proxy in front of a real node that injects faults a test chooses, call by call
 * (batches included). Listens on a free loopback port.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  let rule: (call: RpcCall) => Fault = () => ({ kind: 'pass' });
  const seen = new Map<string, number>();
  const injected = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcCall | RpcCall[];
    const calls = Array.isArray(body) ? body : [body];
    const faults = calls.map((c) => {
      bump(seen, c.method);
      const f = rule(c);
      if (f.kind !== 'pass' && f.kind !== 'delay') bump(injected, f.kind);
      return f;
    });
    if (faults.some((f) => f.kind === 'hang')) return; // closed by stop() or by the client
    const delay = Math.max(0, ...faults.map((f) => (f.kind === 'delay' ? f.ms : 0)));
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const httpError = faults.find((f) => f.kind === 'http-error');
    if (httpError !== undefined) {
      res.writeHead(httpError.status).end('injected failure');
      return;
    }
    const passOn = calls.filter((_, i) => faults[i]!.kind !== 'rpc-error');
    const answers = new Map<unknown, { result?: unknown; error?: unknown }>();
    if (passOn.length > 0) {
      const r = await fetch(upstream, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(passOn),
      });
      for (const a of (await r.json()) as { id: unknown; result?: unknown; error?: unknown }[])
        answers.set(a.id, a);
    }
    const out = calls.map((c, i) => {
      const f = faults[i]!;
      if (f.kind === 'rpc-error')
        return { jsonrpc: '2.0', id: c.id, error: { code: -32000, message: f.message } };
      const a = answers.get(c.id) ?? { error: { code: -32603, message: 'no answer upstream' } };
      if (f.kind === 'rewrite' && a.result !== undefined)
        return { jsonrpc: '2.0', id: c.id, result: f.rewrite(a.result) };
      return { jsonrpc: '2.0', id: c.id, ...a };
    });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(Array.isArray(body) ? out : out[0]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    injected,
    setRule: (r) => {
      rule = r;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
