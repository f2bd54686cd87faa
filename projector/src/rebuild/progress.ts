import type { Logger } from '@tickstream/shared';

/** Where a rebuild stands; given to `onProgress` and logged. */
export interface RebuildProgress {
  readonly phase: 'read' | 'catch-up' | 'keys' | 'swap' | 'done';
  /** Stream entries read (every subject) of `entriesTotal` (the stream's length when the rebuild started). */
  readonly entriesDone: number;
  readonly entriesTotal: number;
  /** Log entries folded (events). */
  readonly events: number;
  readonly eventsPerSec: number;
  readonly entriesPerSec: number;
  /** Seconds left at the current rate (null: not known yet). */
  readonly etaSec: number | null;
  readonly elapsedSec: number;
}

/**
 * Reports progress at most every `intervalMs`: a structured log line and the caller's callback.
 *
 * @example
 * const p = new ProgressReporter(log, 1_000, onProgress, total);
 * p.update('read', done, events); // throttled
 */
export class ProgressReporter {
  readonly #start = performance.now();
  #last = 0;

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onProgress: ((p: RebuildProgress) => void) | undefined,
    private readonly total: number,
  ) {}

  /** Elapsed seconds since the rebuild started. */
  get elapsedSec(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** True when a report is due (the interval has passed). */
  due(): boolean {
    return performance.now() - this.#last >= this.intervalMs;
  }

  update(phase: RebuildProgress['phase'], entriesDone: number, events: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.#last < this.intervalMs) return;
    this.#last = now;
    const elapsedSec = (now - this.#start) / 1000;
    const rate = elapsedSec > 0 ? entriesDone / elapsedSec : 0;
    const p: RebuildProgress = {
      phase,
      entriesDone,
      entriesTotal: this.total,
      events,
      eventsPerSec: Math.round(elapsedSec > 0 ? events / elapsedSec : 0),
      entriesPerSec: Math.round(rate),
      etaSec:
        rate > 0 && phase === 'read' ? Math.max(0, Math.round((this.total - entriesDone) / rate)) : null,
      elapsedSec: Math.round(elapsedSec * 10) / 10,
    };
    this.log.info(p, 'rebuild progress');
    this.onProgress?.(p);
  }
}

/**
 * One terminal line for a progress report.
 *
 * @example progressLine(p) // 'rebuild read  52.1% 120000/230400 entries  48,210 events/s  ETA 3 s'
 */
export function progressLine(p: RebuildProgress): string {
  const pct = p.entriesTotal > 0 ? ((100 * p.entriesDone) / p.entriesTotal).toFixed(1) : '100.0';
  const eta = p.etaSec === null ? '' : `  ETA ${p.etaSec} s`;
  return `rebuild ${p.phase.padEnd(8)} ${pct.padStart(5)}% ${p.entriesDone}/${p.entriesTotal} entries  ${p.eventsPerSec} events/s${eta}`;
}
