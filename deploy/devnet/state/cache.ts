import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@tickstream/shared/log';
import { findFreePort } from '../anvil/start';
import { startDevnet } from '../setup/deploy';
import { runWorkload, type WorkloadStats } from '../workload/run';
import { stripTraces } from './strip';

/** Options of {@link cachedState}. */
export interface CachedStateOptions {
  readonly seed: number;
  readonly transactions: number;
  /** Default 100. */
  readonly txPerBlock?: number;
  /** Where state files live. Default `deploy/devnet/.cache/` (gitignored). */
  readonly dir?: string;
}

/** A state file and, when it was built by this call, the stats of the workload that built it. */
export interface CachedState {
  readonly path: string;
  readonly built: boolean;
  readonly stats?: WorkloadStats;
}

/** Genesis timestamp of cached chains: fixed, so that a rebuilt state has the same block hashes. */
export const CACHED_GENESIS_TIMESTAMP = 1_700_000_000;

const DEVNET_DIR = new URL('../', import.meta.url);
/** Sources whose change makes a different chain: they are part of the cache key. */
const KEYED_DIRS = ['contracts', 'setup', 'chain', 'workload'];
const log = createLogger('devnet-state');

/**
 * Path of an anvil state file (call traces stripped, see {@link stripTraces}) holding a devnet after `runWorkload({ seed, transactions, txPerBlock })`,
 * built on first use (a fresh anvil, deploy, workload, dump) and reused afterwards. The key covers the
 * parameters and the devnet's own sources, so an edited workload rebuilds. Load it with
 * `startDevnet({ loadState: path })`: a 200k-log chain comes back in seconds, logs and receipts included.
 *
 * @example
 * const { path } = await cachedState({ seed: 1, transactions: 50_000 });
 * const devnet = await startDevnet({ port: await findFreePort(), loadState: path });
 */
export async function cachedState(opts: CachedStateOptions): Promise<CachedState> {
  const txPerBlock = opts.txPerBlock ?? 100;
  const dir = opts.dir ?? fileURLToPath(new URL('.cache/', DEVNET_DIR));
  const key = await sourceKey();
  const path = `${dir.replace(/\/$/, '')}/state-s${opts.seed}-t${opts.transactions}-b${txPerBlock}-${key}.json`;
  if (await exists(path)) return { path, built: false };

  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  log.info({ seed: opts.seed, transactions: opts.transactions, path }, 'building devnet state');
  const devnet = await startDevnet({
    port: await findFreePort(),
    genesisTimestamp: CACHED_GENESIS_TIMESTAMP,
    dumpState: tmp,
  });
  let stats: WorkloadStats;
  try {
    stats = await runWorkload(devnet, { seed: opts.seed, transactions: opts.transactions, txPerBlock });
  } finally {
    await devnet.stop(); // SIGTERM: anvil writes the dump on exit
  }
  await stat(tmp); // fails loudly if anvil wrote nothing
  await stripTraces(tmp, `${tmp}.stripped`);
  await rm(tmp);
  await rename(`${tmp}.stripped`, path);
  log.info({ path, txPerSecond: stats.txPerSecond, poolLogs: stats.poolLogs }, 'devnet state built');
  return { path, built: true, stats };
}

async function sourceKey(): Promise<string> {
  const hash = createHash('sha256');
  for (const sub of KEYED_DIRS) {
    const dir = new URL(`${sub}/`, DEVNET_DIR);
    const names = (await readdir(dir)).filter((n) => /\.(ts|sol)$/.test(n) && !n.includes('.test.')).sort();
    for (const name of names) hash.update(name).update(await readFile(new URL(name, dir)));
  }
  return hash.digest('hex').slice(0, 12);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes state files of other versions from `dir` (keeps the current key). */
export async function pruneCachedStates(dir = fileURLToPath(new URL('.cache/', DEVNET_DIR))): Promise<void> {
  const key = await sourceKey();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith('state-') && !name.includes(key)) await rm(`${dir}/${name}`, { force: true });
  }
}
