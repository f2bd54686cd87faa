import { Hono } from 'hono';
import { openApiDocument } from '../openapi/document';
import { eventRoutes } from '../routes/events';
import { healthRoutes } from '../routes/health';
import { poolRoutes } from '../routes/pools';
import { positionRoutes } from '../routes/positions';
import type { AppDeps } from './deps';
import { onError, onNotFound } from './errors';

/**
 * The api as a Hono app: pure request handling, I/O only through `deps`. Serve it with `listen`
 * (see `./server`) or call `app.request()` in tests.
 *
 * @example
 * const app = createApp({ pg, redis, chainId: 31337, log, readyMaxLag: 5 });
 * const res = await app.request('/v1/pools?limit=10');
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const document = openApiDocument();

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.log.debug(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  app.route('/', healthRoutes(deps));
  app.get('/v1/openapi.json', (c) => c.json(document));
  app.route('/v1', poolRoutes(deps));
  app.route('/v1', eventRoutes(deps));
  app.route('/v1', positionRoutes(deps));

  app.onError(onError(deps.log));
  app.notFound(onNotFound);
  return app;
}
