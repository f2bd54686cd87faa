import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isTickstreamError } from '@tickstream/shared/errors';
import { Etcd3 } from 'etcd3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTestDatabase,
  DEFAULT_PG_ADMIN_URL,
  type EtcdCluster,
  freePort,
  freePorts,
  isEtcdHealthy,
  isPortOpen,
  startEtcd,
  startEtcdCluster,
  startNats,
  waitFor,
} from './index';

describe('startEtcdCluster', () => {
  let cluster: EtcdCluster | undefined;
  const clients: Etcd3[] = [];
  const clientFor = (url: string): Etcd3 => {
    const client = new Etcd3({ hosts: url });
    clients.push(client);
    return client;
  };
  const members = () => cluster!.members;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3 });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.stop();
  });

  test('default: three members on distinct ports, all healthy, in one cluster', async () => {
    const ports = members().flatMap((m) => [m.clientPort, m.peerPort]);
    expect(new Set(ports).size).toBe(6);
    expect(await Promise.all(cluster!.clientUrls.map((url) => isEtcdHealthy(url)))).toEqual([
      true,
      true,
      true,
    ]);
    const list = await clientFor(members()[2]!.clientUrl).cluster.memberList({ linearizable: true });
    expect(list.members.map((m) => m.name).sort()).toEqual(['etcd0', 'etcd1', 'etcd2']);
  });

  test('behavior: a put on one member is readable on the others', async () => {
    const [a, b, c] = members();
    await clientFor(a!.clientUrl).put('services/probe').value('written-on-0');
    expect(await clientFor(b!.clientUrl).get('services/probe').string()).toBe('written-on-0');
    expect(await clientFor(c!.clientUrl).get('services/probe').string()).toBe('written-on-0');
  });

  test('behavior: pause freezes a member, resume brings it back', async () => {
    const member = members()[1]!;
    member.pause();
    try {
      expect(member.running).toBe(true);
      expect(await isEtcdHealthy(member.clientUrl, 300)).toBe(false);
    } finally {
      member.resume();
    }
    await waitFor(() => isEtcdHealthy(member.clientUrl), {
      timeoutMs: 15_000,
      what: 'resumed member healthy',
    });
  });

  test('behavior: kill9 of the leader leaves a cluster that elects a new leader and answers; restart catches up', async () => {
    const statuses = await Promise.all(members().map((m) => clientFor(m.clientUrl).maintenance.status()));
    const leaderId = statuses[0]!.leader;
    const leader = members()[statuses.findIndex((s) => s.header.member_id === leaderId)];
    expect(leader).toBeDefined();
    const [a, b] = members().filter((m) => m !== leader);

    await leader!.kill9();
    expect(leader!.running).toBe(false);
    expect(leader!.exitStatus?.signal).toBe('SIGKILL');
    expect(await isPortOpen(leader!.clientPort)).toBe(false);

    const survivor = clientFor(a!.clientUrl);
    const newLeader = await waitFor(
      async () => {
        const { leader: id } = await survivor.maintenance.status();
        return id !== '0' && id !== leaderId ? id : undefined;
      },
      { timeoutMs: 30_000, what: 'a new etcd leader among the survivors' },
    );
    expect(newLeader).not.toBe(leaderId);
    await survivor.put('services/after-kill').value('written-with-two');
    expect(await clientFor(b!.clientUrl).get('services/after-kill').string()).toBe('written-with-two');

    await leader!.restart();
    expect(await isEtcdHealthy(leader!.clientUrl)).toBe(true);
    expect(await clientFor(leader!.clientUrl).get('services/after-kill').string()).toBe('written-with-two');
  });

  test('stop: stops every member, frees their ports and removes their data', async () => {
    for (const client of clients.splice(0)) client.close();
    await cluster!.stop();
    for (const m of members()) {
      expect(m.running).toBe(false);
      expect(await isPortOpen(m.clientPort)).toBe(false);
      expect(existsSync(m.dir)).toBe(false);
    }
  });
});

describe('startEtcd', () => {
  test('behavior: keepData keeps the keys across a graceful stop and a new start', async () => {
    const [clientPort, peerPort] = await freePorts(2);
    const opts = { name: 'solo', clientPort: clientPort!, peerPort: peerPort!, keepData: true };
    const first = await startEtcd(opts);
    const dir = first.dir;
    try {
      const client = new Etcd3({ hosts: first.clientUrl });
      await client.put('services/kept').value('still-here');
      client.close();
      await first.stop();
      expect(first.exitStatus?.signal).toBe('SIGTERM');
      expect(existsSync(dir)).toBe(true);

      const second = await startEtcd(opts);
      try {
        const again = new Etcd3({ hosts: second.clientUrl });
        expect(await again.get('services/kept').string()).toBe('still-here');
        again.close();
      } finally {
        await second.stop({ removeData: true });
      }
      expect(existsSync(dir)).toBe(false);
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('startNats', () => {
  test('default: a private server with JetStream answers, keeps its streams across restart, stops', async () => {
    const nats = await startNats({ port: await freePort() });
    try {
      let nc = await connect({ servers: nats.url });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.getAccountInfo()).streams).toBe(0);
      await jsm.streams.add({ name: 'probe', subjects: ['probe.>'] });
      const js = jetstream(nc);
      expect((await js.publish('probe.a', 'one', { msgID: 'm1' })).seq).toBe(1);
      expect((await js.publish('probe.a', 'one', { msgID: 'm1' })).duplicate).toBe(true);
      await nc.close();

      await nats.restart();
      nc = await connect({ servers: nats.url });
      expect((await (await jetstreamManager(nc)).streams.info('probe')).state.messages).toBe(1);
      await nc.close();
      expect(existsSync(join(nats.storeDir, 'jetstream'))).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(nats.running).toBe(false);
    expect(nats.exitStatus?.signal).toBeNull(); // it handled SIGTERM and exited by itself (nats 2.9: code 1)
    expect(await isPortOpen(nats.port)).toBe(false);
    expect(existsSync(nats.storeDir)).toBe(false);
  });

  test('error: a busy port is refused before any data is touched', async () => {
    const nats = await startNats({ port: await freePort() });
    try {
      const err = await startNats({ port: nats.port }).catch((e: unknown) => e);
      expect(isTickstreamError(err, 'STACK_ERROR')).toBe(true);
      expect((err as Error).message).toContain(`port ${nats.port}`);
      expect(nats.running).toBe(true);
    } finally {
      await nats.stop();
    }
  });
});

describe('createTestDatabase', () => {
  test('default: creates a fresh empty database and drops it even with a connection open', async () => {
    const db = await createTestDatabase('services');
    const other = await createTestDatabase('services');
    try {
      expect(db.name).toMatch(/^ts_services_[0-9a-f]{10}$/);
      expect(other.name).not.toBe(db.name);
      const client = new pg.Client({ connectionString: db.url });
      client.on('error', () => undefined); // terminated by DROP ... WITH (FORCE) below
      await client.connect();
      const { rows } = await client.query<{ db: string; tables: string }>(
        "select current_database() as db, (select count(*) from pg_tables where schemaname = 'public') as tables",
      );
      expect(rows[0]).toEqual({ db: db.name, tables: '0' });
      await db.drop();
      await db.drop(); // idempotent
      await client.end().catch(() => undefined);
    } finally {
      await other.drop();
    }
    const admin = new pg.Client({ connectionString: DEFAULT_PG_ADMIN_URL });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('select 1 from pg_database where datname = any($1)', [
        [db.name, other.name],
      ]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
