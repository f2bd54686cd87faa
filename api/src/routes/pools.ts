import { Hono } from 'hono';
import type { z } from 'zod';
import { decodeCursor, encodeCursor } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { notReady } from '../http/errors';
import { parseAddress, parseBlockNumber, parseFinality, parseLimit } from '../http/params';
import type { PoolListResponse, PoolResponse, PositionsResponse, TicksResponse } from '../openapi/schemas';
import { getLowestPoolCheckpoint } from '../read/checkpoints';
import { withSnapshot } from '../read/db';
import { getPoolAt, listPools } from '../read/pools';
import { listPositions, listPositionsAt } from '../read/positions';
import { listTicks, listTicksAt } from '../read/ticks';
import { locatePool } from './locate';

const LOWER_ADDRESS = /^0x[0-9a-f]{40}$/;

/** `/v1/pools`, `/v1/pools/:address`, `/v1/pools/:address/ticks`, `/v1/pools/:address/positions`. */
export function poolRoutes(deps: AppDeps): Hono {
  const { pg, chainId } = deps;
  const r = new Hono();
  const depth = deps.finalityDepth ?? 64;
  const finalityOf = (raw: string | undefined) => ({ finality: parseFinality(raw), depth });

  r.get('/pools', async (c) => {
    const limit = parseLimit(c.req.query('limit'));
    const after = decodeCursor('pools', c.req.query('cursor'), (o) =>
      typeof o.after === 'string' && LOWER_ADDRESS.test(o.after) ? o.after : undefined,
    );
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof PoolListResponse>> => {
      const cp = await getLowestPoolCheckpoint(db, chainId);
      if (cp === undefined) throw notReady('no pool partition has a checkpoint yet');
      const page = await listPools(db, chainId, { after, limit });
      const nextCursor =
        page.lastAddress === undefined ? null : encodeCursor('pools', { after: page.lastAddress });
      return { pools: page.pools, nextCursor, block: cp.block };
    });
    return c.json(body);
  });

  r.get('/pools/:address', async (c) => {
    const address = parseAddress('address', c.req.param('address'));
    const n = parseBlockNumber('block', c.req.query('block'));
    const finality = finalityOf(c.req.query('finality'));
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof PoolResponse>> => {
      const located = await locatePool(db, chainId, address, n, finality);
      const at = located.at;
      const pool = at === undefined ? located.pool : await getPoolAt(db, chainId, located.pool, at);
      return { pool, block: located.block };
    });
    return c.json(body);
  });

  r.get('/pools/:address/ticks', async (c) => {
    const address = parseAddress('address', c.req.param('address'));
    const n = parseBlockNumber('block', c.req.query('block'));
    const finality = finalityOf(c.req.query('finality'));
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof TicksResponse>> => {
      const { block, at } = await locatePool(db, chainId, address, n, finality);
      const ticks =
        at === undefined
          ? await listTicks(db, chainId, address)
          : await listTicksAt(db, chainId, address, at);
      return { ticks, block };
    });
    return c.json(body);
  });

  r.get('/pools/:address/positions', async (c) => {
    const address = parseAddress('address', c.req.param('address'));
    const n = parseBlockNumber('block', c.req.query('block'));
    const finality = finalityOf(c.req.query('finality'));
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof PositionsResponse>> => {
      const { block, at } = await locatePool(db, chainId, address, n, finality);
      const positions =
        at === undefined
          ? await listPositions(db, chainId, address)
          : await listPositionsAt(db, chainId, address, at);
      return { positions, block };
    });
    return c.json(body);
  });

  return r;
}
