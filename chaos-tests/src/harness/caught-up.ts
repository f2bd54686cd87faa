import { getJson } from '@tickstream/deploy/local';
import type { Cluster, Head } from './cluster';
import { readCurrent, readModules, readPendingReports } from './control';

/**
 * Why the pipeline does not reflect `head` yet, or null when it does: every partition (0..P-1 and
 * tokens) checkpointed at the head's number and hash, the api's `/ready` 200, no reorg running or
 * queued, every registered module running.
 *
 * @example
 * const why = await notCaughtUp(cluster, await cluster.head()); // 'partitions not at 57 …: 0=51/0x19b1…'
 */
export async function notCaughtUp(cluster: Cluster, head: Head): Promise<string | null> {
  const expected = [...Array.from({ length: cluster.partitions }, (_, i) => String(i)), 'tokens'];
  const cps = await cluster.checkpoints();
  const at = (p: string) => cps.find((c) => c.partition === p);
  const behind = expected.filter((p) => at(p)?.blockNumber !== head.number || at(p)?.blockHash !== head.hash);
  if (behind.length > 0) {
    const where = behind.map((p) => {
      const cp = at(p);
      return cp === undefined ? `${p}=none` : `${p}=${cp.blockNumber}/${cp.blockHash.slice(0, 10)}`;
    });
    return `partitions not at ${head.number} ${head.hash.slice(0, 10)}: ${where.join(' ')}`;
  }
  const ready = await getJson(`${cluster.apiUrl}/ready`).catch(() => ({ status: 0, body: null }));
  if (ready.status !== 200) return `api /ready ${ready.status}: ${JSON.stringify(ready.body).slice(0, 300)}`;
  const [current, reports, modules] = await Promise.all([
    readCurrent(cluster.etcd, cluster.chainId),
    readPendingReports(cluster.etcd, cluster.chainId),
    readModules(cluster.etcd, cluster.chainId),
  ]);
  if (current !== null || reports.length > 0)
    return `reorg ${current?.reorgId ?? ''} ${current?.phase ?? ''} running; queued ${reports.join(',')}`;
  const notRunning = modules.filter((m) => m.status.state !== 'running');
  if (notRunning.length > 0)
    return `modules not running: ${notRunning.map((m) => `${m.kind}/${m.id}=${m.status.state}`).join(' ')}`;
  return null;
}
