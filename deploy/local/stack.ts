import { join } from 'node:path';
import { TickstreamError } from '@tickstream/shared/errors';
import { DATA_ROOT, type EtcdMember, isEtcdHealthy, isPortOpen, startEtcd } from './services/index';

/** The variables a Tickstream process reads to find the stack, with their local defaults. */
export const LOCAL_STACK_DEFAULTS = {
  ETCD_URL: 'http://127.0.0.1:2379',
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tickstream',
  REDIS_URL: 'redis://127.0.0.1:6379',
} as const;

export type StackVariable = keyof typeof LOCAL_STACK_DEFAULTS;

/** The project's own etcd when none answers: one member on 2379/2380, data kept in `<repo>/.data/etcd`. */
export const LOCAL_ETCD = {
  name: 'tickstream',
  clientPort: 2379,
  peerPort: 2380,
  dataDir: join(DATA_ROOT, 'etcd'),
};

export interface LocalStack {
  /** The four variables: the environment's value when set there, else the local default. */
  readonly env: Readonly<Record<StackVariable, string>>;
  /** The etcd member this call started, or undefined when one already answered (it is left running). */
  readonly startedEtcd: EtcdMember | undefined;
  /** Stops what this call started (nothing else). Idempotent. */
  stop(): Promise<void>;
}

export interface EnsureLocalStackOptions {
  /** Environment to read the variables from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives one human line per thing found or started (default: nothing). */
  readonly log?: (line: string) => void;
}

/**
 * Makes sure the local stack answers: PostgreSQL, Redis and NATS must already run (`npm run setup`
 * starts them); etcd is reused when `ETCD_URL` (default http://127.0.0.1:2379) is healthy, otherwise a
 * single member is started on 127.0.0.1:2379 with data in `<repo>/.data/etcd` (only when `ETCD_URL` is
 * unset or the default). Returns the variables for child processes and a `stop()` for what it started.
 *
 * @example
 * const stack = await ensureLocalStack({ log: (line) => console.error(line) });
 * spawn('node', ['service.js'], { env: { ...process.env, ...stack.env } });
 * // ...
 * await stack.stop();
 */
export async function ensureLocalStack(opts: EnsureLocalStackOptions = {}): Promise<LocalStack> {
  const source = opts.env ?? process.env;
  const say = opts.log ?? (() => undefined);
  const env: Record<StackVariable, string> = { ...LOCAL_STACK_DEFAULTS };
  for (const key of Object.keys(env) as StackVariable[]) {
    const value = source[key];
    if (value !== undefined && value !== '') env[key] = value;
  }

  const down: string[] = [];
  await Promise.all(
    (['DATABASE_URL', 'REDIS_URL', 'NATS_URL'] as const).map(async (key) => {
      const { host, port } = hostPort(key, env[key]);
      if (await isPortOpen(port, host)) say(`${key}: ${host}:${port} answers`);
      else down.push(`${key} (${host}:${port})`);
    }),
  );
  if (down.length > 0) {
    throw new TickstreamError(
      'STACK_ERROR',
      `not answering: ${down.sort().join(', ')}; run \`npm run setup\` to start the local services`,
    );
  }

  const etcdUrl = env.ETCD_URL.split(',')[0]!.trim();
  if (await isEtcdHealthy(etcdUrl)) {
    say(`ETCD_URL: ${etcdUrl} healthy (reused)`);
    return { env, startedEtcd: undefined, stop: async () => undefined };
  }
  if (env.ETCD_URL !== LOCAL_STACK_DEFAULTS.ETCD_URL) {
    throw new TickstreamError('STACK_ERROR', `ETCD_URL=${env.ETCD_URL} is set but not healthy`);
  }
  let etcd: EtcdMember;
  try {
    etcd = await startEtcd({ ...LOCAL_ETCD, keepData: true, ownProcessGroup: true });
  } catch (err) {
    // Another process may have started it at the same moment.
    if (await isEtcdHealthy(etcdUrl)) {
      say(`ETCD_URL: ${etcdUrl} healthy (reused)`);
      return { env, startedEtcd: undefined, stop: async () => undefined };
    }
    throw err;
  }
  say(`ETCD_URL: started etcd on ${etcd.clientUrl} (pid ${etcd.pid}, data ${LOCAL_ETCD.dataDir})`);
  return {
    env,
    startedEtcd: etcd,
    async stop() {
      if (!etcd.running) return;
      await etcd.stop();
      say(`ETCD_URL: stopped etcd on ${etcd.clientUrl}`);
    },
  };
}

/**
 * Runs `fn` with the local stack up (see `ensureLocalStack`) and stops what was started afterwards,
 * also when `fn` throws.
 *
 * @example
 * await withLocalStack(async ({ env }) => runCoordinators(env));
 */
export async function withLocalStack<T>(
  fn: (stack: LocalStack) => Promise<T>,
  opts: EnsureLocalStackOptions = {},
): Promise<T> {
  const stack = await ensureLocalStack(opts);
  try {
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
  'nats:': 4222,
};

function hostPort(key: StackVariable, value: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(value.split(',')[0]!.trim());
  } catch (err) {
    throw new TickstreamError('CONFIG_INVALID', `${key}=${value} is not a URL`, { cause: err });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  if (port === undefined) throw new TickstreamError('CONFIG_INVALID', `${key}=${value} has no port`);
  return { host, port };
}
