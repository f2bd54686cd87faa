import { Hono } from 'hono';
import type { z } from 'zod';
import { assessReadiness, expectedPartitions } from '../health/readiness';
import type { AppDeps } from '../http/deps';
import { notReady } from '../http/errors';
import type { HealthResponse, ReadyResponse } from '../openapi/schemas';
import { listCheckpoints } from '../read/checkpoints';
import { withSnapshot } from '../read/db';
import { readPublishedHead } from '../read/head';

/** `/health` (the process runs) and `/ready` (the projection is within the allowed lag of the head). */
export function healthRoutes(deps: AppDeps): Hono {
  const r = new Hono();
  const expected = expectedPartitions(deps.partitions);

  r.get('/health', (c) => c.json({ status: 'ok' } satisfies z.infer<typeof HealthResponse>));

  r.get('/ready', async (c) => {
    const [checkpoints, published] = await Promise.all([
      withSnapshot(deps.pg, (db) => listCheckpoints(db, deps.chainId)).catch((err: unknown) => {
        deps.log.warn({ err }, 'readiness: cannot read checkpoints');
        throw notReady('not ready: cannot read the checkpoints from Postgres');
      }),
      readPublishedHead(deps.redis, deps.chainId, deps.log),
    ]);
    const verdict = assessReadiness(checkpoints, published, deps.readyMaxLag, expected);
    if (!verdict.ready || verdict.head === undefined) throw notReady(`not ready: ${verdict.reason}`);
    const body: z.infer<typeof ReadyResponse> = {
      status: 'ready',
      head: verdict.head,
      maxLagBlocks: deps.readyMaxLag,
      partitions: verdict.partitions,
    };
    return c.json(body);
  });

  return r;
}
