import type { Logger } from '@tickstream/shared';

/** Where a progress bar can be drawn: a terminal stream. */
export interface ProgressTerminal {
  readonly columns?: number;
  write(s: string): boolean;
}

export interface ProgressOptions {
  /** Draw a one-line bar here instead of logging progress (default: stderr when it is a TTY). */
  readonly terminal?: ProgressTerminal | null;
  /** The clock (tests). */
  readonly now?: () => number;
}

/** The figures of a backfill at one moment. */
export interface ProgressFigures {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly percent: number;
  readonly logs: number;
  readonly logsPerSec: number;
  readonly seconds: number;
  readonly etaSec: number | null;
}

const REDRAW_MS = 100;

/** "1h02m", "3m07s", "12s". */
export function formatDuration(secs: number | null): string {
  if (secs === null || !Number.isFinite(secs)) return '?';
  const s = Math.round(secs);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Pure: the one-line bar for `f`, at most `width` characters. */
export function progressLine(f: ProgressFigures, width: number): string {
  const text = ` ${f.percent.toFixed(1)}% blocks ${f.blocksDone}/${f.blocksTotal} · ${f.logs} logs · ${f.logsPerSec} logs/s · ETA ${formatDuration(f.etaSec)}`;
  const barWidth = Math.max(0, Math.min(30, width - text.length - 2));
  if (barWidth < 5) return text.trim().slice(0, width);
  const full = Math.round((barWidth * f.percent) / 100);
  return `[${'#'.repeat(full)}${'-'.repeat(barWidth - full)}]${text}`;
}

/**
 * Backfill progress: blocks done of total, logs/s, ETA. On a terminal (stderr a TTY) a one-line bar
 * redrawn in place; otherwise a structured log line every `everyMs`, so that log pipelines see the
 * same figures. `done` always logs the final figures with a summary (and prints it as metric lines
 * on a terminal).
 */
export class Progress {
  readonly #now: () => number;
  readonly #started: number;
  readonly #terminal: ProgressTerminal | null;
  #lastShown = 0;
  #blocks = 0;
  #logs = 0;

  constructor(
    private readonly log: Logger,
    private readonly fromBlock: number,
    private readonly toBlock: number,
    private readonly everyMs = 2_000,
    opts: ProgressOptions = {},
  ) {
    this.#now = opts.now ?? Date.now;
    this.#started = this.#now();
    this.#terminal =
      opts.terminal !== undefined ? opts.terminal : process.stderr.isTTY ? process.stderr : null;
  }

  add(blocks: number, logs: number): void {
    this.#blocks += blocks;
    this.#logs += logs;
    const now = this.#now();
    if (this.#terminal !== null) {
      if (now - this.#lastShown >= REDRAW_MS) {
        this.#lastShown = now;
        this.#draw(now);
      }
    } else if (now - this.#lastShown >= this.everyMs) {
      this.#lastShown = now;
      this.log.info(this.figures(now), 'backfill progress');
    }
  }

  /**
   * The end: the final figures and `summary` (e.g. ranges, splits, providers) as one log line, and on
   * a terminal as metric lines (`backfill_logs_total 123`).
   */
  done(summary: Record<string, unknown> = {}): void {
    const now = this.#now();
    const f = this.figures(now);
    if (this.#terminal !== null) {
      this.#draw(now);
      this.#terminal.write(`\n${metricLines({ ...f, ...summary }).join('\n')}\n`);
    }
    this.log.info({ ...f, ...summary }, 'backfill done');
  }

  figures(now: number): ProgressFigures {
    const total = this.toBlock - this.fromBlock + 1;
    const secs = Math.max((now - this.#started) / 1000, 1e-3);
    const blocksPerSec = this.#blocks / secs;
    return {
      fromBlock: this.fromBlock,
      toBlock: this.toBlock,
      blocksDone: this.#blocks,
      blocksTotal: total,
      percent: Math.round((1000 * this.#blocks) / Math.max(total, 1)) / 10,
      logs: this.#logs,
      logsPerSec: Math.round(this.#logs / secs),
      seconds: Math.round(secs * 100) / 100,
      etaSec: blocksPerSec > 0 ? Math.round((total - this.#blocks) / blocksPerSec) : null,
    };
  }

  #draw(now: number): void {
    const width = (this.#terminal?.columns || 100) - 1; // 0 when the terminal does not say
    this.#terminal?.write(`\r\x1b[2K${progressLine(this.figures(now), width)}`);
  }
}

/**
 * Pure: a flat summary as metric lines, `backfill_<name> <value>`; nested objects become labels
 * (`backfill_rpc_requests{provider="#0 host"} 12` from `{ rpc: { '#0 host': { requests: 12 } } }`).
 */
export function metricLines(summary: Record<string, unknown>, prefix = 'backfill'): string[] {
  const out: string[] = [];
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  for (const [key, value] of Object.entries(summary)) {
    if (typeof value === 'number') out.push(`${prefix}_${snake(key)} ${value}`);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [label, inner] of Object.entries(value as Record<string, unknown>)) {
        if (typeof inner === 'number') out.push(`${prefix}_${snake(key)}_${snake(label)} ${inner}`);
        else if (typeof inner === 'object' && inner !== null) {
          for (const [name, v] of Object.entries(inner as Record<string, unknown>)) {
            if (typeof v === 'number')
              out.push(`${prefix}_${snake(key)}_${snake(name)}{name="${label}"} ${v}`);
          }
        }
      }
    }
  }
  return out;
}
