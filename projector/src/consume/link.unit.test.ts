import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedgerLink } from './link';

/** A fake NATS server on loopback: records what the client sends, answers PING and one API subject. */
class FakeNats {
  readonly server: Server;
  socket: Socket | null = null;
  received = '';
  readonly subs = new Map<string, string>();
  port = 0;
  /** Every write to the client is cut into pieces of these sizes in turn (frames split anywhere). */
  cuts = [1, 7, 64, 3, 500];

  constructor(private readonly api: (subject: string, body: string) => string) {
    this.server = createServer((s) => {
      this.socket = s;
      s.write(`INFO ${JSON.stringify({ server_id: 'fake', headers: true, max_payload: 1048576 })}\r\n`);
      s.on('data', (d: Buffer) => {
        this.received += d.toString('latin1');
        this.#handle();
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  #seen = 0;
  #handle(): void {
    for (;;) {
      const eol = this.received.indexOf('\r\n', this.#seen);
      if (eol < 0) return;
      const line = this.received.slice(this.#seen, eol);
      if (line.startsWith('PUB ')) {
        const [, subject, reply, size] = line.split(' ');
        const n = Number(size ?? reply);
        if (this.received.length < eol + 2 + n + 2) return;
        const body = this.received.slice(eol + 2, eol + 2 + n);
        this.#seen = eol + 2 + n + 2;
        if (size !== undefined && subject?.startsWith('$JS.API.')) {
          const out = this.api(subject, body);
          this.send(`MSG ${reply} 1 ${Buffer.byteLength(out)}\r\n${out}\r\n`);
        }
        continue;
      }
      this.#seen = eol + 2;
      if (line === 'PING') this.send('PONG\r\n');
      else if (line.startsWith('SUB ')) {
        const [, subject, sid] = line.split(' ');
        this.subs.set(subject!, sid!);
      }
    }
  }

  /** Writes `text` in pieces (see `cuts`). */
  send(text: string | Buffer): void {
    const b = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    let at = 0;
    let k = 0;
    while (at < b.length) {
      const n = this.cuts[k++ % this.cuts.length]!;
      this.socket!.write(b.subarray(at, at + n));
      at += n;
    }
  }

  /** A JetStream delivery (HMSG with a header, as the ledger's messages have). */
  delivery(subject: string, reply: string, data: string): string {
    const sid = this.subs.get(subject)!;
    const head = 'NATS/1.0\r\nNats-Msg-Id: x\r\n\r\n';
    return `HMSG ${subject} ${sid} ${reply} ${head.length} ${head.length + data.length}\r\n${head}${data}\r\n`;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let fake: FakeNats | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe('RawLink', () => {
  it('default: hands over JetStream deliveries split anywhere across reads, both reply forms', async () => {
    fake = new FakeNats(() => '{"name":"c1","num_pending":3}');
    const port = await fake.listen();
    const link = await openLedgerLink({ url: `nats://127.0.0.1:${port}`, name: 't' });
    const got: [number, number, number, string][] = [];
    let batches = 0;
    link.subscribe('_INBOX.a.0', (sseq, dseq, pending, data) =>
      got.push([sseq, dseq, pending, Buffer.from(data).toString()]),
    );
    link.onBatch = () => batches++;
    await link.flush();
    expect(await link.request('$JS.API.CONSUMER.CREATE.S', { x: 1 })).toEqual({ name: 'c1', num_pending: 3 });
    fake.send(
      fake.delivery('_INBOX.a.0', '$JS.ACK.S.c1.1.17.1.1700000000000000000.2', 'first entry') +
        // the 12-token form: domain, account hash, and a trailing token
        fake.delivery('_INBOX.a.0', '$JS.ACK.dom.acc.S.c1.1.19.2.1700000000000000000.1.tok', 'second') +
        `MSG _INBOX.a.0 ${fake.subs.get('_INBOX.a.0')} $JS.ACK.S.c1.1.123456789012.3.1.0 5\r\nthird\r\n`,
    );
    await expect.poll(() => got.length).toBe(3);
    expect(got).toEqual([
      [17, 1, 2, 'first entry'],
      [19, 2, 1, 'second'],
      [123456789012, 3, 0, 'third'],
    ]);
    expect(batches).toBeGreaterThan(0);
    await link.close();
  });

  it('default: the 11-token reply form, reply() inside the handler, status messages, publish', async () => {
    fake = new FakeNats(() => '{}');
    const port = await fake.listen();
    const link = await openLedgerLink({ url: `nats://127.0.0.1:${port}`, name: 't' });
    const got: [number, number, string][] = [];
    const statuses: [number, string][] = [];
    link.subscribe(
      '_INBOX.c.0',
      (sseq, _dseq, pending) => got.push([sseq, pending, link.reply()]),
      (code, text) => statuses.push([code, text]),
    );
    await link.flush();
    const sid = fake.subs.get('_INBOX.c.0');
    const status = (line: string) => {
      const head = `NATS/1.0 ${line}\r\nNats-Pending-Messages: 7\r\n\r\n`;
      return `HMSG _INBOX.c.0 ${sid} ${head.length} ${head.length}\r\n${head}\r\n`;
    };
    fake.send(
      fake.delivery('_INBOX.c.0', '$JS.ACK.dom.acc.S.c1.1.42.7.1700000000000000000.5', 'x') +
        status('408 Request Timeout') +
        status('100 Idle Heartbeat') +
        status('409 Consumer Deleted'),
    );
    await expect.poll(() => statuses.length).toBe(3);
    expect(got).toEqual([[42, 5, '$JS.ACK.dom.acc.S.c1.1.42.7.1700000000000000000.5']]);
    expect(link.reply()).toBe(''); // only valid inside the handler
    expect(statuses).toEqual([
      [408, 'Request Timeout'],
      [100, 'Idle Heartbeat'],
      [409, 'Consumer Deleted'],
    ]);
    link.publish('$JS.API.CONSUMER.MSG.NEXT.S.c1', '{"batch":5}', '_INBOX.c.0');
    link.publish('$JS.ACK.S.c1.1.42.7.1700000000000000000.5', '');
    await expect
      .poll(() => fake!.received)
      .toContain(
        'PUB $JS.API.CONSUMER.MSG.NEXT.S.c1 _INBOX.c.0 11\r\n{"batch":5}\r\nPUB $JS.ACK.S.c1.1.42.7.1700000000000000000.5 0\r\n\r\n',
      );
    await link.close();
  });

  it('behavior: answers flow control (held while paused) and a stalled heartbeat; PING gets PONG', async () => {
    fake = new FakeNats(() => '{}');
    const port = await fake.listen();
    const link = await openLedgerLink({ url: `nats://127.0.0.1:${port}`, name: 't' });
    link.subscribe('_INBOX.b.0', () => undefined);
    await link.flush();
    const sid = fake.subs.get('_INBOX.b.0');
    const fc = 'NATS/1.0 100 FlowControl Request\r\n\r\n';
    link.pause();
    fake.send(`HMSG _INBOX.b.0 ${sid} $JS.FC.S.c1.abc ${fc.length} ${fc.length}\r\n${fc}\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.received).not.toContain('PUB $JS.FC.S.c1.abc 0');
    link.resume();
    await expect.poll(() => fake!.received).toContain('PUB $JS.FC.S.c1.abc 0\r\n\r\n');
    const hb =
      'NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 0\r\nNats-Consumer-Stalled: $JS.FC.S.c1.def\r\n\r\n';
    fake.send(`HMSG _INBOX.b.0 ${sid} ${hb.length} ${hb.length}\r\n${hb}\r\nPING\r\n`);
    await expect.poll(() => fake!.received).toContain('PUB $JS.FC.S.c1.def 0\r\n\r\n');
    await expect.poll(() => fake!.received).toContain('PONG\r\n');
    expect(fake.received).toMatch(/^CONNECT \{.*"headers":true.*\}\r\n/);
    await link.close();
  });

  it('error: an API error and a server -ERR are LEDGER_ERROR', async () => {
    fake = new FakeNats(() => '{"error":{"code":404,"description":"stream not found"}}');
    const port = await fake.listen();
    const link = await openLedgerLink({ url: `nats://127.0.0.1:${port}`, name: 't' });
    await expect(link.request('$JS.API.CONSUMER.CREATE.S', {})).rejects.toMatchObject({
      code: 'LEDGER_ERROR',
      message: expect.stringContaining('stream not found'),
    });
    const errors: Error[] = [];
    link.onError = (e) => errors.push(e);
    fake.send("-ERR 'Authorization Violation'\r\n");
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ code: 'LEDGER_ERROR' });
    await link.close();
  });
});
