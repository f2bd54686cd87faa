import { Hono } from 'hono';
import type { z } from 'zod';
import type { AppDeps } from '../http/deps';
import { notFound, notReady } from '../http/errors';
import { parseTokenId } from '../http/params';
import type { NftPositionResponse } from '../openapi/schemas';
import { getCheckpoint, TOKENS_PARTITION } from '../read/checkpoints';
import { withSnapshot } from '../read/db';
import { getNftPosition } from '../read/nft-positions';

/** `/v1/positions/:tokenId`: NonfungiblePositionManager tokens, stamped with the 'tokens' checkpoint. */
export function positionRoutes(deps: AppDeps): Hono {
  const { pg, chainId } = deps;
  const r = new Hono();

  r.get('/positions/:tokenId', async (c) => {
    const tokenId = parseTokenId(c.req.param('tokenId'));
    const body = await withSnapshot(pg, async (db): Promise<z.infer<typeof NftPositionResponse>> => {
      const position = await getNftPosition(db, chainId, tokenId);
      if (position === undefined) throw notFound(`position ${tokenId} not found`);
      const cp = await getCheckpoint(db, chainId, TOKENS_PARTITION);
      if (cp === undefined) throw notReady(`partition ${TOKENS_PARTITION} has no checkpoint yet`);
      return { position, block: cp.block };
    });
    return c.json(body);
  });

  return r;
}
