import { Hono } from 'hono';
import type { z } from 'zod';
import { decodeCursor, encodeCursor } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { badRequest } from '../http/errors';
import { parseAddress, parseBlockNumber, parseEventType, parseLimit } from '../http/params';
import type { EventsResponse } from '../openapi/schemas';
import { withSnapshot } from '../read/db';
import { type EventPosition, listEvents } from '../read/events';
import { locatePool } from './locate';

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** `/v1/pools/:address/events?fromBlock&toBlock&type&limit&cursor`. */
export function eventRoutes(deps: AppDeps): Hono {
  const { pg, chainId } = deps;
  const r = new Hono();

  r.get('/pools/:address/events', async (c) => {
    const address = parseAddress('address', c.req.param('address'));
    const fromBlock = parseBlockNumber('fromBlock', c.req.query('fromBlock')) ?? 0;
    const toBlock = parseBlockNumber('toBlock', c.req.query('toBlock')) ?? Number.MAX_SAFE_INTEGER;
    if (fromBlock > toBlock) throw badRequest(`fromBlock: ${fromBlock} is greater than toBlock ${toBlock}`);
    const type = parseEventType(c.req.query('type'));
    const limit = parseLimit(c.req.query('limit'));
    const after = decodeCursor('events', c.req.query('cursor'), (o): EventPosition | undefined =>
      isIndex(o.b) && isIndex(o.l) ? { blockNumber: o.b, logIndex: o.l } : undefined,
    );
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof EventsResponse>> => {
      const { block } = await locatePool(db, chainId, address, undefined);
      const page = await listEvents(db, chainId, address, { fromBlock, toBlock, type, after, limit });
      const nextCursor =
        page.last === undefined
          ? null
          : encodeCursor('events', { b: page.last.blockNumber, l: page.last.logIndex });
      return { events: page.events, nextCursor, block };
    });
    return c.json(body);
  });

  return r;
}
