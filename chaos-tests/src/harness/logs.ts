import { readFileSync } from 'node:fs';

/** One JSON log line of a service (pino), or `{ msg }` for a line that is not JSON. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly time?: number };

/**
 * Every line of a service's `server.log`, parsed. Services log pino JSON lines; anything else (a stack
 * trace on stderr) comes back as `{ msg: line }`.
 *
 * @example
 * const done = readLog(cluster.coordinators[0]!.logFile).filter((l) => l.msg === 'reorg done');
 */
export function readLog(file: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const v = JSON.parse(line) as unknown;
      out.push(typeof v === 'object' && v !== null ? (v as LogLine) : { msg: line });
    } catch {
      out.push({ msg: line });
    }
  }
  return out;
}

/** Lines of `file` whose `msg` is `msg` (and that match `where`). */
export function logLines(file: string, msg: string | RegExp, where: (l: LogLine) => boolean = () => true) {
  return readLog(file).filter(
    (l) =>
      (typeof msg === 'string' ? l.msg === msg : typeof l.msg === 'string' && msg.test(l.msg)) && where(l),
  );
}

/** The last `n` lines of `file`, as text (for failure reports). */
export function lastLines(file: string, n: number): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}
