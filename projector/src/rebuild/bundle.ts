import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The fold workers' code, bundled once per rebuild. Node builtins only here: `main.ts` imports this
 * module first and starts the bundle before it loads the rest of the rebuild (through tsx, about a
 * second), so that esbuild, in its own process, is done by the time the workers are started.
 */

export const WORKER_URL = new URL('./worker.ts', import.meta.url).href;
/** Without the bundle: tsx's loader registered in the worker (a parent's hooks are not inherited on Node 20). */
export const WORKER_BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(require('node:worker_threads').workerData.entry); })`;

/**
 * The worker's code bundled into one ES module (esbuild, a dependency; tsx uses it too) in the temp directory:
 * loading `worker.ts` and its graph (viem, pg, the workspace packages) through tsx's loader costs each
 * worker about a second of CPU (every module a round trip to the loader's thread); the bundle loads in
 * a fraction of that. Null (esbuild missing or failing): the workers boot through tsx.
 *
 * @example void bundleWorker(); // as early as possible; FoldWorkers.start takes it
 */
export function bundleWorker(): Promise<string | null> {
  bundling ??= build();
  return bundling;
}

/** The bundle for one set of workers (the next call of `bundleWorker` builds another). */
export async function takeBundle(): Promise<string | null> {
  const file = await bundleWorker();
  bundling = null;
  return file;
}

let bundling: Promise<string | null> | null = null;

/**
 * The workspace's `shared` package marked free of side effects (its package.json says nothing, so
 * esbuild keeps all of it): what the worker does not use (the config schemas and zod, the logger and
 * pino) is left out, the bundle is ~60% smaller and a worker loads it in ~60 ms instead of ~110.
 */
const pureShared = {
  name: 'pure-shared',
  setup(b: import('esbuild').PluginBuild): void {
    b.onResolve({ filter: /^@tickstream\/shared(\/|$)/ }, async (args) => {
      if (args.pluginData === RESOLVED) return undefined;
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: RESOLVED,
      });
      if (r.errors.length > 0 || r.namespace !== 'file') return undefined;
      return { path: r.path, sideEffects: false };
    });
  },
};
const RESOLVED = Symbol('resolved');

async function build(): Promise<string | null> {
  try {
    const esbuild = await import('esbuild');
    const out = join(tmpdir(), `tickstream-rebuild-worker-${process.pid}-${Date.now()}.mjs`);
    await esbuild.build({
      entryPoints: [fileURLToPath(WORKER_URL)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      // Whitespace and syntax only (names kept, for stack traces): the workers parse ~40% less.
      minifyWhitespace: true,
      minifySyntax: true,
      external: ['pg-native'],
      plugins: [pureShared],
      // The CommonJS packages (pg) require Node's builtins.
      banner: {
        js: "import { createRequire as __tsRequire } from 'node:module'; const require = __tsRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    return out;
  } catch {
    return null;
  }
}
