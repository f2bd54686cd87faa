import { afterEach } from 'vitest';
import type { Cluster } from './cluster';

/**
 * Prints the last lines of every service's log (and the seed) after a failed test of this file.
 *
 * @example
 * let cluster: Cluster;
 * printLogsOnFailure(() => cluster);
 */
export function printLogsOnFailure(get: () => Cluster | undefined, lines = 40): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const c = get();
    if (c !== undefined) process.stdout.write(`\n${c.report(lines)}\n`);
  });
}

/** One line of what a test measured, easy to grep: `MEASURED <what> {json}`. */
export function measured(what: string, values: Record<string, unknown>): void {
  process.stdout.write(`MEASURED ${what} ${JSON.stringify(values)}\n`);
}
