import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/*
 * COPY's text format fed from ~1 MiB buffers: the rebuild's whole tables, and the live projector's
 * append-only history and event rows (`write.ts`).
 */

/** Time spent waiting for Postgres to take COPY data, in ms; summed over all sinks. */
export const copyWait = { ms: 0 };

/** Bytes gathered before they are handed to the COPY stream. */
const CHUNK_BYTES = 1 << 20;

/**
 * One `COPY <table> (<columns>) FROM STDIN` on its own connection, fed with text-format lines
 * (`\t` between fields, `\N` for null, one `\n` per row). Lines are encoded into ~1 MiB chunks as they
 * come; `flush` waits only when the stream's buffer is full, so Postgres parses one chunk while the
 * fold prepares the next.
 *
 * @example
 * const sink = await CopySink.open(client, 'events', ['chain_id', 'address']);
 * sink.line('31337\t0xab…\n');
 * await sink.flush();
 * const rows = await sink.end();
 */
export class CopySink {
  /** The chunk being filled; null after a hand-over until the next line (none is allocated at the end). */
  #buf: Buffer | null = null;
  #pos = 0;
  #rows = 0;
  #failed: Error | null = null;
  readonly #done: Promise<void>;

  private constructor(
    readonly table: string,
    private readonly stream: ReturnType<typeof copyFrom>,
    private readonly chunkBytes: number,
  ) {
    this.#done = new Promise((resolve, reject) => {
      stream.on('finish', () => resolve());
      stream.on('error', (err: Error) => {
        this.#failed = err;
        reject(err);
      });
    });
    this.#done.catch(() => undefined);
  }

  /**
   * Starts the COPY on `client` (which it holds until `end`), gathering `chunkBytes` (1 MiB unless
   * given: less for small batches) before each hand-over.
   */
  static open(
    client: PoolClient,
    table: string,
    columns: readonly string[],
    chunkBytes = CHUNK_BYTES,
  ): CopySink {
    const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    return new CopySink(table, stream, chunkBytes);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Adds one row (a whole line, ending in `\n`; ASCII: hex, decimals, JSON of those). It is encoded into the chunk at once, so the line
   * string dies young (cheap for the garbage collector) however long the chunk takes to fill.
   */
  line(text: string): void {
    if (this.chunkBytes - this.#pos < text.length) {
      this.#hand();
      if (text.length > this.chunkBytes) {
        // longer than a whole chunk (never for these tables' rows): handed over on its own
        if (!this.stream.write(Buffer.from(text, 'latin1'))) this.#queued++;
        this.#rows++;
        return;
      }
    }
    this.#buf ??= Buffer.allocUnsafe(this.chunkBytes);
    this.#pos += this.#buf.write(text, this.#pos, 'latin1');
    this.#rows++;
  }

  /** True when enough is gathered to be worth a write. */
  get full(): boolean {
    return this.#pos >= this.chunkBytes / 2 || this.#queued > 0;
  }

  /** Chunks handed to the stream while its buffer was full (written, not yet taken). */
  #queued = 0;

  /** Hands the chunk to the stream (the next line starts a new one: the stream keeps it until sent). */
  #hand(): void {
    if (this.#pos === 0 || this.#buf === null) return;
    const chunk = this.#buf.subarray(0, this.#pos);
    this.#buf = null;
    this.#pos = 0;
    if (!this.stream.write(chunk)) this.#queued++;
  }

  /** Hands what is gathered to Postgres; resolves at once unless the stream's buffer is full. */
  async flush(): Promise<void> {
    if (this.#failed !== null) throw this.#failed;
    this.#hand();
    if (this.#queued === 0) return;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.stream.off('drain', onDrain);
        reject(err);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
    this.#queued = 0;
    copyWait.ms += performance.now() - t0;
  }

  /** Flushes and ends the COPY; resolves with the rows written once Postgres has them all. */
  async end(): Promise<number> {
    await this.flush();
    this.stream.end();
    await this.#done;
    return this.#rows;
  }

  /** Aborts the COPY (the caller rolls back or drops what it wrote). */
  abort(): void {
    this.stream.destroy(new Error('copy aborted'));
  }
}

/**
 * A value of COPY's text format: null → `\N`; strings have backslash, tab, newline and carriage return
 * escaped (hex, decimal and boolean values need none: pass them as they are).
 *
 * @example copyText('{"a":"b\\c"}') === '{"a":"b\\\\c"}'
 */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : v;
}
