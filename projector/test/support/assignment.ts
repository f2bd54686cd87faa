/** Test support for the etcd partition assignment: who claims what, and when each runner ran. */
import {
  type MemberValue,
  memberValueSchema,
  parseValue,
  partitionClaimSchema,
  partitionKeysFor,
} from '@tickstream/coordinator';
import type { Etcd3 } from 'etcd3';

/** The claims in etcd: partition name → member id. */
export async function readClaims(etcd: Etcd3, chainId: number, group: string): Promise<Map<string, string>> {
  const k = partitionKeysFor(chainId, group);
  const all = await etcd.getAll().prefix(k.partitions).strings();
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(all)) {
    const claim = parseValue(partitionClaimSchema, value);
    if (claim !== undefined) out.set(key.slice(k.partitions.length), claim.member);
  }
  return out;
}

/** The live members in etcd. */
export async function readMembers(etcd: Etcd3, chainId: number, group: string): Promise<MemberValue[]> {
  const k = partitionKeysFor(chainId, group);
  const all = await etcd.getAll().prefix(k.members).strings();
  return Object.values(all)
    .map((v) => parseValue(memberValueSchema, v))
    .filter((m): m is MemberValue => m !== undefined);
}

/** How many partitions each member claims. */
export function claimCounts(claims: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of claims.values()) out[m] = (out[m] ?? 0) + 1;
  return out;
}

interface LogLine {
  readonly time: number;
  readonly msg: string;
  readonly partition?: string;
  readonly [k: string]: unknown;
}

/** The JSON log lines of a process's output (other lines skipped). */
export function logLines(output: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

/** One runner's life in one process: from 'partition runner started' to '… stopped' (or the process's end). */
export interface RunnerInterval {
  readonly process: string;
  readonly partition: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Every runner interval of a process, from its log; a runner still running when the process died (or
 * the test ended) lasts until `endedAt`.
 */
export function runnerIntervals(name: string, output: string, endedAt: number): RunnerInterval[] {
  const open = new Map<string, number>();
  const out: RunnerInterval[] = [];
  for (const l of logLines(output)) {
    if (l.partition === undefined) continue;
    if (l.msg === 'partition runner started') open.set(l.partition, l.time);
    if (l.msg === 'partition runner stopped') {
      const from = open.get(l.partition);
      if (from !== undefined) out.push({ process: name, partition: l.partition, from, to: l.time });
      open.delete(l.partition);
    }
  }
  for (const [partition, from] of open) out.push({ process: name, partition, from, to: endedAt });
  return out;
}

/** Pairs of intervals of one partition in two processes that overlap in time ([] when none). */
export function overlaps(intervals: readonly RunnerInterval[]): string[] {
  const out: string[] = [];
  for (const [i, a] of intervals.entries()) {
    for (const b of intervals.slice(i + 1)) {
      if (a.partition !== b.partition || a.process === b.process) continue;
      if (a.from < b.to && b.from < a.to) {
        out.push(
          `partition ${a.partition}: ${a.process} [${a.from}, ${a.to}] and ${b.process} [${b.from}, ${b.to}]`,
        );
      }
    }
  }
  return out;
}
