import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logger for one service. JSON lines on stdout; `LOG_LEVEL` sets the level.
 *
 * @example
 * const log = createLogger('ingest');
 * log.info({ fromBlock, toBlock, logs }, 'range appended');
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
