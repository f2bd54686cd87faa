import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  type Halt,
  haltSchema,
  keysFor,
  type LiveModule,
  leaderValueSchema,
  listModules,
  type Phase,
  parseValue,
  type ReorgContext,
  readHistory,
  reorgContextSchema,
} from '@tickstream/coordinator';
import type { StatusView } from '@tickstream/coordinator/cli';
import { REPO_ROOT } from '@tickstream/deploy/local';
import type { Etcd3 } from 'etcd3';

/** The coordinator holding the leader key: its id and its term's fencing token (the key's create revision). */
export interface LeaderInfo {
  readonly id: string;
  readonly token: number;
  readonly pid: number;
}

/** Reads the leader key directly (no CLI process: fast enough to poll). */
export async function readLeader(etcd: Etcd3, chainId: number): Promise<LeaderInfo | null> {
  const res = await etcd.get(keysFor(chainId).leader).exec();
  const kv = res.kvs[0];
  if (kv === undefined) return null;
  const v = parseValue(leaderValueSchema, kv.value.toString());
  return v === undefined ? null : { id: v.id, token: Number(kv.create_revision), pid: v.pid };
}

/** The reorg in progress (`/reorg/current`), or null. */
export async function readCurrent(etcd: Etcd3, chainId: number): Promise<ReorgContext | null> {
  const text = await etcd.get(keysFor(chainId).current).string();
  return text === null ? null : (parseValue(reorgContextSchema, text) ?? null);
}

/** The phase of the reorg in progress, or null when none runs. */
export async function readPhase(etcd: Etcd3, chainId: number): Promise<Phase | null> {
  return (await readCurrent(etcd, chainId))?.phase ?? null;
}

/** Finished reorgs, oldest first. */
export async function readReorgHistory(etcd: Etcd3, chainId: number): Promise<ReorgContext[]> {
  return (await readHistory(etcd, chainId)).reverse();
}

/** Registered (live) modules. */
export function readModules(etcd: Etcd3, chainId: number): Promise<LiveModule[]> {
  return listModules(etcd, chainId);
}

/** Halt records (`/halts/`). */
export async function readHalts(etcd: Etcd3, chainId: number): Promise<Halt[]> {
  const values = await etcd.getAll().prefix(keysFor(chainId).halts).strings();
  return Object.values(values)
    .map((v) => parseValue(haltSchema, v))
    .filter((h): h is Halt => h !== undefined);
}

/** Reports waiting for the leader (`/reports/`), by reorg id. */
export async function readPendingReports(etcd: Etcd3, chainId: number): Promise<string[]> {
  const k = keysFor(chainId);
  const keys = await etcd.getAll().prefix(k.reports).keys();
  return keys.map((key) => key.slice(k.reports.length));
}

/** What a `tickstream` CLI run printed and returned. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the operator CLI as an operator would: `node coordinator/bin/tickstream.js <args>` with
 * `ETCD_URL` and `CHAIN_ID` set.
 *
 * @example
 * const { stdout } = await runTickstream(etcdUrl, 31337, ['status', '--json']);
 */
export function runTickstream(
  etcdUrl: string,
  chainId: number,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'coordinator/bin/tickstream.js'), ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ETCD_URL: etcdUrl, CHAIN_ID: String(chainId), LOG_LEVEL: 'warn' },
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `tickstream status --json`, parsed. Throws with the CLI's output when it fails. */
export async function cliStatus(etcdUrl: string, chainId: number): Promise<StatusView> {
  const r = await runTickstream(etcdUrl, chainId, ['status', '--json']);
  if (r.code !== 0) throw new Error(`tickstream status --json exited ${r.code}: ${r.stderr || r.stdout}`);
  return JSON.parse(r.stdout) as StatusView;
}
