import { z } from 'zod';
import { DEFAULT_LIMIT, EVENT_TYPES, MAX_LIMIT } from '../http/params';
import { schemas } from './schemas';

/** JSON Schema of every registered body, as OpenAPI 3.1 `components.schemas` (refs point there). */
function componentSchemas(): Record<string, unknown> {
  const out = z.toJSONSchema(schemas, { uri: (id) => `#/components/schemas/${id}` }).schemas;
  const clean: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(out)) {
    const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
    clean[id] = rest;
  }
  return clean;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});

const blockNumber = {
  type: 'string',
  pattern: '^[0-9]+$',
  description: 'a decimal block number (safe integer)',
};

const params = {
  address: {
    name: 'address',
    in: 'path',
    required: true,
    description: 'pool address, 0x + 40 hex digits, any case',
    schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
  },
  tokenId: {
    name: 'tokenId',
    in: 'path',
    required: true,
    description: 'position-manager token id, a decimal uint256',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  block: {
    name: 'block',
    in: 'query',
    required: false,
    description:
      'read the state as of this block (from the history tables). Above the pool partition checkpoint: 400; ' +
      'before the pool was created: 404.',
    schema: blockNumber,
  },
  finality: {
    name: 'finality',
    in: 'query',
    required: false,
    description:
      'latest (default): the newest indexed block; confirmed: FINALITY_DEPTH blocks below it, which no ' +
      'reorg shallower than the finality depth can change. With block=N, N must be confirmed.',
    schema: { type: 'string', enum: ['latest', 'confirmed'], default: 'latest' },
  },
  limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: `page size, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  },
  cursor: {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'the `nextCursor` of the previous page, unchanged',
    schema: { type: 'string' },
  },
  fromBlock: {
    name: 'fromBlock',
    in: 'query',
    required: false,
    description: 'first block (default 0)',
    schema: blockNumber,
  },
  toBlock: {
    name: 'toBlock',
    in: 'query',
    required: false,
    description: 'last block (default: no bound)',
    schema: blockNumber,
  },
  type: {
    name: 'type',
    in: 'query',
    required: false,
    description: 'only events of this type',
    schema: { type: 'string', enum: [...EVENT_TYPES] },
  },
} as const;

const errors = {
  '400': json('Error', 'a parameter is malformed; the message names it'),
  '404': json('Error', 'no such pool, position or route'),
  '500': json('Error', 'a fault of the api or its stores'),
  '503': json('Error', 'the projection has not caught up yet (NOT_READY)'),
};

/**
 * The OpenAPI 3.1 document served at `/v1/openapi.json`. Paths are hand-written here; the body schemas
 * are generated from `./schemas`, which the integration tests parse every response with. A test checks
 * that the paths listed here are exactly the routes the app serves.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tickstream API',
      version: '1.0.0',
      description:
        'Exact Uniswap V3 pool state folded from the chain. Big integers are decimal strings; every body ' +
        'carries the block it reflects; errors are `{ error: { code, message } }`. Orphaned rows are never served.',
    },
    paths: {
      '/health': {
        get: { summary: 'liveness', responses: { '200': json('HealthResponse', 'the process runs') } },
      },
      '/ready': {
        get: {
          summary: 'readiness: every partition checkpoint within API_READY_MAX_LAG_BLOCKS of the head',
          responses: { '200': json('ReadyResponse', 'ready'), '503': errors['503'] },
        },
      },
      '/v1/openapi.json': {
        get: { summary: 'this document', responses: { '200': { description: 'OpenAPI 3.1 document' } } },
      },
      '/v1/pools': {
        get: {
          summary: 'pools in address order, paginated',
          parameters: [params.limit, params.cursor],
          responses: { '200': json('PoolListResponse', 'a page of pools'), ...pick('400', '500', '503') },
        },
      },
      '/v1/pools/{address}': {
        get: {
          summary: 'one pool, now or as of a block',
          parameters: [params.address, params.block, params.finality],
          responses: { '200': json('PoolResponse', 'the pool'), ...pick('400', '404', '500', '503') },
        },
      },
      '/v1/pools/{address}/ticks': {
        get: {
          summary: 'initialized ticks of a pool, by tick, now or as of a block',
          parameters: [params.address, params.block, params.finality],
          responses: { '200': json('TicksResponse', 'the ticks'), ...pick('400', '404', '500', '503') },
        },
      },
      '/v1/pools/{address}/positions': {
        get: {
          summary: 'positions of a pool, now or as of a block',
          parameters: [params.address, params.block, params.finality],
          responses: {
            '200': json('PositionsResponse', 'the positions'),
            ...pick('400', '404', '500', '503'),
          },
        },
      },
      '/v1/pools/{address}/events': {
        get: {
          summary: 'non-orphaned events of a pool in chain order, paginated',
          parameters: [
            params.address,
            params.fromBlock,
            params.toBlock,
            params.type,
            params.limit,
            params.cursor,
          ],
          responses: {
            '200': json('EventsResponse', 'a page of events'),
            ...pick('400', '404', '500', '503'),
          },
        },
      },
      '/v1/positions/{tokenId}': {
        get: {
          summary: 'one position-manager token',
          parameters: [params.tokenId],
          responses: { '200': json('NftPositionResponse', 'the token'), ...pick('400', '404', '500', '503') },
        },
      },
    },
    components: { schemas: componentSchemas() },
  };
}

function pick(...codes: (keyof typeof errors)[]): Record<string, unknown> {
  return Object.fromEntries(codes.map((c) => [c, errors[c]]));
}
