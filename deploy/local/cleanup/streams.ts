/**
 * A vitest global setup of `npm test`'s integration tier: the JetStream streams its tests create in the
 * shared NATS (each under a random prefix) are deleted when the run ends, also those a failed test left.
 * Only streams that did not exist when the run started and are named as these tests name them go: a
 * stream of `npm start`, a bench ledger kept on purpose (`PBENCH_…`) and the chaos suite's clusters
 * (`CHAOS…`, which `npm run chaos` and `npm run bench:reorg` may be running meanwhile; each deletes its
 * own) stay. Two `npm test` runs on one machine are not supported anyway (fixed Redis databases, etcd
 * port). When NATS does not answer at the start, nothing is deleted at the end.
 */
import { randomBytes } from 'node:crypto';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * A stream prefix of a test's own, so tests never share a ledger: `<tag><NAME><6 hex>` (`T` for ingest
 * tests, `TP` for projector tests), the form `leftoverTestStreams` deletes.
 *
 * @example testPrefix('T', 'pool') // 'TPOOLA1B2C3'
 */
export function testPrefix(tag: 'T' | 'TP', name: string): string {
  return `${tag}${name.toUpperCase()}${randomBytes(3).toString('hex').toUpperCase()}`;
}

/**
 * Names the tests give their streams: `T<NAME><6 hex>_<chainId>` and `TP…` (`testPrefix`), `FEEDTEST_<token>` and `LINKTEST_<token>` (feed and link tests), `E2E<ms>_<chainId>`
 * (the api pipeline test).
 */
const TEST_STREAM = /^(TP?[A-Z0-9]+[0-9A-F]{6}_\d+|FEEDTEST_[A-Z0-9]+|LINKTEST_[A-Z0-9]+|E2E\d+_\d+)$/;

/**
 * Pure: the streams to delete at the end of a run: named as tests name them and not there at its start.
 *
 * @example
 * leftoverTestStreams(new Set(['TICKSTREAM_1']), ['TICKSTREAM_1', 'TPOOLA1B2C3_31337', 'PBENCH_S7_31337'])
 * // ['TPOOLA1B2C3_31337']
 */
export function leftoverTestStreams(before: ReadonlySet<string>, now: readonly string[]): string[] {
  return now.filter((name) => !before.has(name) && TEST_STREAM.test(name));
}

async function streamNames(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const s of jsm.streams.list()) names.push(s.config.name);
  return names;
}

/** Runs `fn` on a JetStream manager of its own connection; null when NATS does not answer. */
async function withManager<T>(url: string, fn: (jsm: JetStreamManager) => Promise<T>): Promise<T | null> {
  const nc = await connect({ servers: url, timeout: 2_000 }).catch(() => null);
  if (nc === null) return null;
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

/** vitest `globalSetup`: notes the streams present, returns the teardown that deletes the run's own. */
export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const present = await withManager(url, streamNames).catch(() => null);
  if (present === null) return async () => undefined; // unknown what was there: delete nothing
  const before = new Set(present);
  return async () => {
    await withManager(url, async (jsm) => {
      for (const name of leftoverTestStreams(before, await streamNames(jsm)))
        await jsm.streams.delete(name).catch(() => false);
    });
  };
}
