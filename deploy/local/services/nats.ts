import { join } from 'node:path';
import { assertPortsFree, DATA_ROOT, findBinary, resetDir, ServerProcess } from './process';
import { freePort, getJson } from './wait';

export interface StartNatsOptions {
  /** Client port (nats://127.0.0.1:<port>). */
  readonly port: number;
  /** HTTP monitoring port, used for readiness (default: a free port). */
  readonly monitorPort?: number;
  /** JetStream store directory (`-sd`), also holding `server.log`. Default `<repo>/.data/nats-<port>`. */
  readonly storeDir?: string;
  /** Keep the streams of an earlier run (default false: start from an emptied store, which `stop()` removes). */
  readonly keepData?: boolean;
  readonly startTimeoutMs?: number;
  /** Path of nats-server (default: `NATS_SERVER_BIN` or `nats-server` on PATH or in /usr/sbin). */
  readonly bin?: string;
  /** See `ServerSpec.ownProcessGroup`. */
  readonly ownProcessGroup?: boolean;
  readonly extraArgs?: readonly string[];
}

/** A running nats-server with JetStream. */
export class NatsServer extends ServerProcess {
  readonly port: number;
  readonly monitorPort: number;
  /** `nats://127.0.0.1:<port>`: give it to `connect({ servers })`. */
  readonly url: string;
  readonly monitorUrl: string;
  readonly storeDir: string;

  constructor(opts: StartNatsOptions & { monitorPort: number }, storeDir: string, bin: string) {
    const monitorUrl = `http://127.0.0.1:${opts.monitorPort}`;
    super({
      label: `nats ${opts.port}`,
      bin,
      args: [
        '-a',
        '127.0.0.1',
        '-p',
        String(opts.port),
        '-m',
        String(opts.monitorPort),
        '-js',
        '-sd',
        storeDir,
        '-n',
        `tickstream-${opts.port}`,
        ...(opts.extraArgs ?? []),
      ],
      dir: storeDir,
      isReady: () => isNatsHealthy(monitorUrl),
      readyWhat: `healthy with JetStream on ${monitorUrl}/healthz`,
      startTimeoutMs: opts.startTimeoutMs ?? 15_000,
      ...(opts.ownProcessGroup === undefined ? {} : { ownProcessGroup: opts.ownProcessGroup }),
      ephemeral: opts.keepData !== true,
    });
    this.port = opts.port;
    this.monitorPort = opts.monitorPort;
    this.url = `nats://127.0.0.1:${opts.port}`;
    this.monitorUrl = monitorUrl;
    this.storeDir = storeDir;
  }
}

/**
 * True when the NATS monitoring endpoint at `monitorUrl` answers `/healthz?js-enabled=true` with
 * `{"status":"ok"}` (the server and its JetStream are up).
 *
 * @example
 * await isNatsHealthy('http://127.0.0.1:8222'); // true
 */
export async function isNatsHealthy(monitorUrl: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const { status, body } = await getJson(`${monitorUrl}/healthz?js-enabled=true`, timeoutMs);
    return (
      status === 200 &&
      typeof body === 'object' &&
      body !== null &&
      (body as { status?: unknown }).status === 'ok'
    );
  } catch {
    return false;
  }
}

/**
 * Starts a private nats-server with JetStream on loopback and waits until it is healthy.
 *
 * @example
 * const nats = await startNats({ port: await freePort() });
 * const nc = await connect({ servers: nats.url });
 * await nats.stop();
 */
export async function startNats(opts: StartNatsOptions): Promise<NatsServer> {
  const bin = findBinary('nats-server', opts.bin ?? process.env.NATS_SERVER_BIN, 'nats-server');
  const storeDir = opts.storeDir ?? join(DATA_ROOT, `nats-${opts.port}`);
  await assertPortsFree('nats', [opts.port, ...(opts.monitorPort === undefined ? [] : [opts.monitorPort])]);
  if (opts.keepData !== true) resetDir(storeDir);
  const monitorPort = opts.monitorPort ?? (await freePort());
  const server = new NatsServer({ ...opts, monitorPort }, storeDir, bin);
  await server.start();
  return server;
}
