import { type Socket, connect as tcpConnect } from 'node:net';
import { TickstreamError } from '@tickstream/shared';

/*
 * A connection to the ledger that hands JetStream deliveries over as (stream seq, delivery seq,
 * pending, bytes), with no message object per delivery: the live projector's pull consumers
 * (`feed.ts`, a connection per partition feed) and the rebuild's fold workers' push consumers
 * (`rebuild/worker.ts`, one per partition). Also publishes (pull requests, acks) and makes JetStream
 * API requests.
 *
 * On a plain `nats://` server the protocol is read straight off the socket (`RawLink`): the MSG/HMSG
 * frames of the subscribed subjects are parsed in place and each entry handed over as a view of the
 * socket's buffer; the sequences are read from the reply subject's bytes. Measured here about a quarter
 * of nats.js's client CPU per message (~1 µs against ~4 µs: its parser, a Msg, two decoded strings and
 * a split reply per delivery). Elsewhere (`tls://`, a server that requires TLS), a nats.js connection
 * with the same interface (`NatsJsLink`).
 */

/** Where the link connects: the server of the process's own connection, with the URL's credentials. */
export interface LinkTarget {
  /** `nats://host:port` (or `tls://…`), credentials in the URL as NATS_URL takes them. */
  readonly url: string;
  readonly name: string;
}

/** A delivery of a consumer: its stream sequence, consumer sequence, messages still pending, entry bytes. */
export type DeliveryHandler = (sseq: number, dseq: number, pending: number, data: Uint8Array) => void;

/**
 * A status message on a subscribed subject that is no delivery and no flow control: its code and
 * description (`408`, `Request Timeout` when a pull request expires; `409` when the consumer was
 * deleted or refused the request; `100` an idle heartbeat).
 */
export type StatusHandler = (code: number, description: string) => void;

export interface LedgerLink {
  /**
   * Subscribes `subject` (a consumer's deliver subject, a pull request's inbox): its deliveries go to
   * `handler`, its other status messages to `onStatus`.
   */
  subscribe(subject: string, handler: DeliveryHandler, onStatus?: StatusHandler): void;
  /** The reply (ack) subject of the delivery being handed over: valid only inside a `DeliveryHandler`. */
  reply(): string;
  /** Publishes `payload` (a pull request, an empty ack) to `subject`, with a reply subject if given. */
  publish(subject: string, payload: string, reply?: string): void;
  /** Resolves once the server has seen everything sent so far (subscriptions registered). */
  flush(): Promise<void>;
  /** A JetStream API request (JSON both ways); an API error is thrown as LEDGER_ERROR. */
  request<T>(subject: string, body: unknown): Promise<T>;
  /** Called after each run of deliveries handled together (one socket read). */
  onBatch: (() => void) | null;
  /** Called once when the connection fails or closes unasked. */
  onError: ((err: Error) => void) | null;
  /**
   * Stops taking deliveries (the socket is not read, flow-control requests are answered only on
   * `resume`): the server pauses the consumers once their window is full.
   */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** A random token for inbox subjects. */
export function inboxToken(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Opens the link: the raw protocol over TCP for `nats://`, nats.js for anything else or when the
 * server asks for TLS.
 */
export async function openLedgerLink(target: LinkTarget): Promise<LedgerLink> {
  const url = new URL(target.url);
  if (url.protocol === 'nats:') {
    try {
      return await RawLink.open(url, target.name);
    } catch (err) {
      if (!(err instanceof NeedsClient)) throw err;
    }
  }
  return NatsJsLink.open(target.url, target.name);
}

/** The server asks for something the raw link does not do (TLS): nats.js is used instead. */
class NeedsClient extends Error {}

const CR = 13;
const SP = 32;
const DOT = 46;
const ACK_PREFIX = Buffer.from('$JS.ACK.', 'latin1');
const STALLED = Buffer.from('Nats-Consumer-Stalled:', 'latin1');

/** Reads a decimal number from `buf[from, to)`. */
function decimal(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (buf[i]! - 48);
  return n;
}

/** The NATS client protocol, straight off a TCP socket (see the file's comment). */
export class RawLink implements LedgerLink {
  onBatch: (() => void) | null = null;
  onError: ((err: Error) => void) | null = null;
  /** By sid: the handler of a consumer's deliver subject (undefined: the API replies' inbox). */
  readonly #subs: (DeliveryHandler | undefined)[] = [];
  readonly #statuses: (StatusHandler | undefined)[] = [];
  /** The delivery being handed over: its buffer and reply subject's bounds (`reply()`). */
  #buf: Buffer | null = null;
  #rs = 0;
  #re = 0;
  #nextSid = 2;
  readonly #replySubject = `_INBOX.${inboxToken()}`;
  /** The API request waiting for its reply (requests go one at a time). */
  #reply: { resolve: (body: Buffer | null) => void } | null = null;
  #requests: Promise<unknown> = Promise.resolve();
  readonly #pongs: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Bytes of a frame not complete yet, and how many it needs (0: not known yet, any more will do). */
  #parts: Buffer[] = [];
  #partsLen = 0;
  #need = 0;
  #paused = false;
  #held: string[] = [];
  #failed: Error | null = null;
  #closing = false;
  #info: ((line: string) => void) | null = null;
  /** Dot positions of a reply subject (scratch). */
  readonly #dots = new Int32Array(16);

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('NATS connection closed')));
  }

  static async open(url: URL, name: string): Promise<RawLink> {
    const socket = tcpConnect(Number(url.port || 4222), url.hostname.replace(/^\[(.*)\]$/, '$1'));
    const link = new RawLink(socket);
    const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
      link.#info = (line) => {
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch (err) {
          reject(err);
        }
      };
      socket.once('error', reject);
    });
    link.#info = null;
    if (info.tls_required === true) {
      socket.destroy();
      throw new NeedsClient('TLS');
    }
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const auth = user === '' ? {} : pass === '' ? { auth_token: user } : { user, pass };
    const connect = {
      verbose: false,
      pedantic: false,
      tls_required: false,
      name,
      lang: 'tickstream-raw',
      version: '1',
      protocol: 1,
      headers: true,
      no_responders: true,
      ...auth,
    };
    socket.write(`CONNECT ${JSON.stringify(connect)}\r\nSUB ${link.#replySubject} 1\r\n`);
    await link.flush();
    return link;
  }

  subscribe(subject: string, handler: DeliveryHandler, onStatus?: StatusHandler): void {
    const sid = this.#nextSid++;
    this.#subs[sid] = handler;
    this.#statuses[sid] = onStatus;
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
  }

  reply(): string {
    return this.#buf === null ? '' : this.#buf.toString('latin1', this.#rs, this.#re);
  }

  publish(subject: string, payload: string, reply?: string): void {
    const len = Buffer.byteLength(payload);
    this.socket.write(`PUB ${subject}${reply === undefined ? '' : ` ${reply}`} ${len}\r\n${payload}\r\n`);
  }

  flush(): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#pongs.push({ resolve, reject });
      this.socket.write('PING\r\n');
    });
  }

  request<T>(subject: string, body: unknown): Promise<T> {
    const run = this.#requests.then(() => this.#request<T>(subject, body));
    this.#requests = run.catch(() => undefined);
    return run;
  }

  async #request<T>(subject: string, body: unknown): Promise<T> {
    if (this.#failed !== null) throw this.#failed;
    let timer: NodeJS.Timeout | undefined;
    const reply = new Promise<Buffer | null>((resolve, reject) => {
      this.#reply = { resolve };
      timer = setTimeout(
        () =>
          reject(
            new TickstreamError('LEDGER_ERROR', `NATS request ${subject} timed out`, { retryable: true }),
          ),
        REQUEST_TIMEOUT_MS,
      );
    });
    this.publish(subject, body === null ? '' : JSON.stringify(body), this.#replySubject);
    try {
      const got = await reply;
      if (got === null) {
        throw new TickstreamError('LEDGER_ERROR', `NATS request ${subject}: no responders (JetStream?)`, {
          retryable: true,
        });
      }
      return apiResult<T>(subject, got.toString('utf8'));
    } finally {
      clearTimeout(timer);
      this.#reply = null;
    }
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const r of this.#held.splice(0)) this.publish(r, '');
    this.socket.resume();
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1_000).unref();
    });
  }

  #fail(err: Error): void {
    if (this.#failed !== null) return;
    this.#failed =
      err instanceof TickstreamError
        ? err
        : new TickstreamError('LEDGER_ERROR', `NATS: ${err.message}`, { retryable: true });
    for (const p of this.#pongs.splice(0)) p.reject(this.#failed);
    this.#reply?.resolve(null);
    if (!this.#closing) this.onError?.(this.#failed);
    this.socket.destroy();
  }

  #data(chunk: Buffer): void {
    let buf = chunk;
    if (this.#partsLen > 0) {
      this.#parts.push(chunk);
      this.#partsLen += chunk.length;
      if (this.#partsLen < this.#need) return;
      buf = Buffer.concat(this.#parts, this.#partsLen);
      this.#parts = [];
      this.#partsLen = 0;
    }
    const used = this.#parse(buf);
    if (used < buf.length) {
      this.#parts.push(buf.subarray(used));
      this.#partsLen = buf.length - used;
    }
    if (this.#failed === null) this.onBatch?.();
  }

  /** Handles every complete frame of `buf`; returns where the first incomplete one starts. */
  #parse(buf: Buffer): number {
    const len = buf.length;
    let pos = 0;
    while (pos < len && this.#failed === null) {
      const eol = buf.indexOf(CR, pos);
      if (eol < 0 || eol + 1 >= len) {
        this.#need = len - pos + 1;
        return pos;
      }
      const op = buf[pos]!;
      if (op === 0x4d /* MSG */ || op === 0x48 /* HMSG */) {
        // From the end: total size (and header size), then from the start: subject, sid, [reply].
        let i = eol - 1;
        let total = 0;
        for (let m = 1; buf[i] !== SP; i--, m *= 10) total += (buf[i]! - 48) * m;
        let head = 0;
        if (op === 0x48) {
          i--;
          for (let m = 1; buf[i] !== SP; i--, m *= 10) head += (buf[i]! - 48) * m;
        }
        let j = pos + (op === 0x48 ? 5 : 4);
        while (buf[j] !== SP) j++;
        j++;
        let sid = 0;
        for (; j < i && buf[j] !== SP; j++) sid = sid * 10 + (buf[j]! - 48);
        const start = eol + 2;
        const stop = start + total;
        if (stop + 2 > len) {
          this.#need = stop + 2 - pos;
          return pos;
        }
        this.#message(buf, sid, j < i ? j + 1 : -1, i, start, head, stop);
        pos = stop + 2;
        continue;
      }
      if (op === 0x50 /* PING or PONG */) {
        if (buf[pos + 1] === 0x49) this.socket.write('PONG\r\n');
        else this.#pongs.shift()?.resolve();
      } else if (op === 0x2d /* -ERR */) {
        this.#fail(new TickstreamError('LEDGER_ERROR', `NATS ${buf.toString('latin1', pos, eol)}`));
      } else if (op === 0x49 /* INFO */) {
        this.#info?.(buf.toString('utf8', pos + 5, eol));
      }
      pos = eol + 2;
    }
    this.#need = 0;
    return pos;
  }

  /** One MSG/HMSG: reply subject at [rs, re) (rs -1: none), headers at [start, start + head), data up to stop. */
  #message(
    buf: Buffer,
    sid: number,
    rs: number,
    re: number,
    start: number,
    head: number,
    stop: number,
  ): void {
    const handler = this.#subs[sid];
    if (handler === undefined) {
      if (sid === 1) {
        // An API reply; a 503 status without data: no responders.
        const status = head > 0 && stop === start + head ? buf.indexOf(' 503', start) : -1;
        const noResponders = status >= 0 && status < start + head;
        this.#reply?.resolve(noResponders ? null : buf.subarray(start + head, stop));
      }
      return;
    }
    if (rs >= 0 && re - rs > ACK_PREFIX.length && buf.compare(ACK_PREFIX, 0, 8, rs, rs + 8) === 0) {
      // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending> (9 tokens), or with
      // domain and account hash and a trailing token (12).
      const dots = this.#dots;
      let n = 0;
      for (let k = rs; k < re && n < 16; k++) if (buf[k] === DOT) dots[n++] = k;
      const base = n === 8 ? 5 : 7;
      const sseq = decimal(buf, dots[base - 1]! + 1, dots[base]!);
      const dseq = decimal(buf, dots[base]! + 1, dots[base + 1]!);
      const pending = decimal(buf, dots[base + 2]! + 1, n === 8 || n === 10 ? re : dots[base + 3]!);
      this.#buf = buf;
      this.#rs = rs;
      this.#re = re;
      handler(sseq, dseq, pending, buf.subarray(start + head, stop));
      this.#buf = null;
      return;
    }
    // A status message: flow control (answered, in order with the deliveries taken) or a heartbeat,
    // which names a flow-control request that went unanswered.
    let reply: string | null = null;
    if (rs >= 0) reply = buf.toString('latin1', rs, re);
    else if (head > 0) {
      const at = buf.indexOf(STALLED, start);
      if (at >= 0 && at < start + head) {
        const end = buf.indexOf(CR, at);
        reply = buf.toString('latin1', at + STALLED.length, end).trim();
      }
    }
    if (reply === null || reply === '') {
      // Any other status: `NATS/1.0 <code> <description>` (a pull request's end, a heartbeat).
      const onStatus = this.#statuses[sid];
      if (onStatus !== undefined && head >= 12 && buf[start + 8] === SP) {
        const eol = buf.indexOf(CR, start);
        const code = decimal(buf, start + 9, start + 12);
        onStatus(code, buf.toString('latin1', start + 13, Math.max(eol, start + 13)).trim());
      }
      return;
    }
    if (this.#paused) this.#held.push(reply);
    else this.publish(reply, '');
  }
}

/** The reply of a JetStream API request, or its error as LEDGER_ERROR. */
function apiResult<T>(subject: string, text: string): T {
  const r = JSON.parse(text) as { error?: { code?: number; description?: string } };
  if (r.error !== undefined) {
    throw new TickstreamError(
      'LEDGER_ERROR',
      `NATS ${subject}: ${r.error.description ?? 'error'} (${r.error.code ?? '?'})`,
      { retryable: (r.error.code ?? 500) >= 500 },
    );
  }
  return r as T;
}

/** The same link over a nats.js connection (TLS, or any server the raw link does not talk to). */
export class NatsJsLink implements LedgerLink {
  onBatch: (() => void) | null = null;
  onError: ((err: Error) => void) | null = null;
  #paused = false;
  #held: string[] = [];
  #batch = false;
  #closing = false;
  #reply = '';

  private constructor(private readonly nc: import('@nats-io/transport-node').NatsConnection) {
    void nc.closed().then((err) => {
      if (!this.#closing) {
        this.onError?.(
          new TickstreamError('LEDGER_ERROR', `NATS: ${err?.message ?? 'connection closed'}`, {
            retryable: true,
          }),
        );
      }
    });
  }

  static async open(url: string, name: string): Promise<NatsJsLink> {
    const { connect } = await import('@nats-io/transport-node');
    return new NatsJsLink(await connect({ servers: url, name }));
  }

  subscribe(subject: string, handler: DeliveryHandler, onStatus?: StatusHandler): void {
    this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err !== null) {
          this.onError?.(new TickstreamError('LEDGER_ERROR', `NATS: ${err.message}`, { retryable: true }));
          return;
        }
        const reply = m.reply ?? '';
        if (reply.startsWith('$JS.ACK.')) {
          const t = reply.split('.');
          const base = t.length === 9 ? 5 : 7;
          this.#reply = reply;
          handler(Number(t[base]), Number(t[base + 1]), Number(t[base + 3]), m.data);
          this.#reply = '';
          if (!this.#batch) {
            this.#batch = true;
            queueMicrotask(() => {
              this.#batch = false;
              this.onBatch?.();
            });
          }
          return;
        }
        const to = reply !== '' ? reply : (m.headers?.get('Nats-Consumer-Stalled') ?? '');
        if (to === '') {
          const code = m.headers?.code ?? 0;
          if (code > 0) onStatus?.(code, m.headers?.description ?? '');
          return;
        }
        if (this.#paused) this.#held.push(to);
        else this.nc.publish(to);
      },
    });
  }

  reply(): string {
    return this.#reply;
  }

  publish(subject: string, payload: string, reply?: string): void {
    this.nc.publish(subject, payload, reply === undefined ? undefined : { reply });
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  async request<T>(subject: string, body: unknown): Promise<T> {
    try {
      const m = await this.nc.request(subject, body === null ? '' : JSON.stringify(body), {
        timeout: REQUEST_TIMEOUT_MS,
      });
      return apiResult<T>(subject, m.string());
    } catch (err) {
      if (err instanceof TickstreamError) throw err;
      throw new TickstreamError('LEDGER_ERROR', `NATS request ${subject}: ${(err as Error).message}`, {
        retryable: true,
      });
    }
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    for (const r of this.#held.splice(0)) this.nc.publish(r);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.nc.close().catch(() => undefined);
  }
}
