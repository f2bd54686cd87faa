import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { REPO_ROOT } from '../services/index';

/*
 * A service's code as one ES module, so that it starts without tsx. Through tsx every TypeScript module
 * is transpiled at start and every import is a round trip to the loader's thread: measured here about
 * 3 s of CPU (2 s wall) per service process, against about 1 s for the bundle, most of which is loading
 * the third-party packages. In a 2-core end-to-end run of ingest and a projector that start is a tenth
 * of all the CPU.
 *
 * Only the workspace's own code (`@tickstream/*` and relative imports) goes into the bundle; every
 * package the workspaces depend on stays an import that Node resolves from node_modules as usual
 * (native addons, packages that read files next to their code, CommonJS). A module that finds files
 * relative to its own `import.meta.url` would look next to the bundle instead: the service entries
 * bundled here have none.
 *
 * Bundles live in `.build/services/` and are built again (esbuild, about 0.1 s) when one of the files
 * that went into them changed since. Two processes building at once both write the same content, each
 * through a rename.
 */

const BUILD_DIR = join(REPO_ROOT, '.build', 'services');

/** The package.json files of the root and every workspace (repository-relative). */
function manifests(): string[] {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces?: string[] };
  return ['package.json', ...(root.workspaces ?? []).map((dir) => join(dir, 'package.json'))];
}

/** Every package any workspace depends on, except the workspaces themselves (kept out of the bundle). */
function externals(): string[] {
  const read = (dir: string) =>
    JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as {
      workspaces?: string[];
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
  const names = new Set<string>();
  for (const file of manifests()) {
    const pkg = read(dirname(file));
    for (const deps of [pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies]) {
      for (const name of Object.keys(deps ?? {})) if (!name.startsWith('@tickstream/')) names.add(name);
    }
  }
  return [...names].flatMap((n) => [n, `${n}/*`]);
}

/** The bundle's path for a repository-relative entry (`ingest/src/main.ts` → `.build/services/ingest-src-main.mjs`). */
function bundlePath(entry: string): string {
  return join(BUILD_DIR, `${entry.replace(/\.ts$/, '').replace(/[/\\]/g, '-')}.mjs`);
}

/**
 * True when the bundle exists and no file it was built from changed after it: its sources (its
 * `.inputs.json`), the package.json files that say what stays external, and this bundler.
 */
function fresh(out: string): boolean {
  try {
    const built = statSync(out).mtimeMs;
    const sources = JSON.parse(readFileSync(`${out}.inputs.json`, 'utf8')) as string[];
    const inputs = [...sources, ...manifests(), relative(REPO_ROOT, fileURLToPath(import.meta.url))];
    return inputs.every((f) => statSync(join(REPO_ROOT, f)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/** Builds the bundle of `entry` (repository-relative) into `out`; throws what esbuild reports. */
function build(entry: string, out: string): void {
  // Built under the final name in a directory of this process's own beside BUILD_DIR (the same depth:
  // the bundle's `sourceMappingURL` and the map's relative source paths hold), then moved in by rename.
  const tmp = join(dirname(BUILD_DIR), `.tmp-${process.pid}`, basename(out));
  mkdirSync(dirname(tmp), { recursive: true });
  mkdirSync(dirname(out), { recursive: true });
  const result = buildSync({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: tmp,
    sourcemap: 'linked',
    metafile: true,
    external: externals(),
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => relative(REPO_ROOT, join(process.cwd(), f)));
  writeFileSync(`${tmp}.inputs.json`, JSON.stringify(inputs));
  renameSync(`${tmp}.map`, `${out}.map`);
  renameSync(tmp, out);
  renameSync(`${tmp}.inputs.json`, `${out}.inputs.json`);
  rmSync(dirname(tmp), { recursive: true, force: true });
}

const built = new Map<string, string[]>();

/**
 * The Node arguments that run service `entry` (repository-relative, e.g. `projector/src/main.ts`):
 * its bundle (built now, synchronously, if missing or older than its sources) with source maps for
 * stack traces; or, when it cannot be built (esbuild failing) or `TICKSTREAM_BUNDLE=0`, the entry
 * through tsx as before.
 *
 * @example spawn(process.execPath, serviceArgs('ingest/src/main.ts'), { env });
 */
export function serviceArgs(entry: string): string[] {
  const tsx = ['--import', 'tsx', join(REPO_ROOT, entry)];
  if (process.env.TICKSTREAM_BUNDLE === '0') return tsx;
  let args = built.get(entry);
  if (args === undefined) {
    const out = bundlePath(entry);
    try {
      if (!fresh(out)) build(entry, out);
      args = ['--enable-source-maps', out];
    } catch (err) {
      process.emitWarning(`bundling ${entry} failed, running it through tsx: ${(err as Error).message}`);
      args = tsx;
    }
    built.set(entry, args);
  }
  return args;
}
