import { join } from 'node:path';
import { DATA_ROOT, ServerProcess } from '../services/index';
import { serviceArgs } from './bundle';

export { serviceArgs } from './bundle';

/** A Tickstream service started by `npm start`: its entry file, its environment, its readiness. */
export interface ServiceSpec {
  readonly name: string;
  readonly entry: string;
  readonly env: Record<string, string>;
  readonly isReady?: () => Promise<boolean>;
  readonly readyWhat?: string;
}

/**
 * Runs one of our services as a child process (`node <bundle of entry>`, see `serviceArgs`: one
 * process, so signals reach the service itself), output in `.data/run/<name>/server.log`.
 *
 * @example const api = await startService({ name: 'api', entry: 'api/src/main.ts', env });
 */
export async function startService(spec: ServiceSpec): Promise<ServerProcess> {
  const server = new ServerProcess({
    label: spec.name,
    bin: process.execPath,
    args: serviceArgs(spec.entry),
    dir: join(DATA_ROOT, 'run', spec.name),
    env: { ...process.env, ...spec.env },
    isReady: spec.isReady ?? (async () => true),
    readyWhat: spec.readyWhat ?? 'started',
    startTimeoutMs: 60_000,
    ownProcessGroup: true,
  });
  await server.start();
  return server;
}
