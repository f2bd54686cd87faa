import type { ServerProcess } from '@tickstream/deploy/local';

/**
 * Services run in process groups of their own (a Ctrl-C in the terminal does not reach them): when the
 * test process is told to stop, SIGKILL every service still alive, then exit, which runs the exit hooks
 * that kill anvil and etcd. A stopped run leaves nothing behind.
 */
const live = new Set<ReadonlyMap<string, ServerProcess>>();
let installed = false;

/** Kill these services if the test process is stopped by a signal. */
export function killOnSignal(services: ReadonlyMap<string, ServerProcess>): void {
  live.add(services);
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const group of live) {
        for (const s of group.values()) {
          try {
            if (s.running) process.kill(s.pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
      process.exit(130);
    });
  }
}

/** These services were stopped normally. */
export function forget(services: ReadonlyMap<string, ServerProcess>): void {
  live.delete(services);
}
