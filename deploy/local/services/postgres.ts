import { randomBytes } from 'node:crypto';
import { TickstreamError } from '@tickstream/shared/errors';
import pg from 'pg';

/** Where test databases are created: `PG_ADMIN_URL`, else the local PostgreSQL as user postgres. */
export const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection string of the new database. */
  readonly url: string;
  /** Its name, `ts_<prefix>_<random>`. */
  readonly name: string;
  /** Drops it, closing any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** A URL of any database on the server, used to create and drop (default: see `DEFAULT_PG_ADMIN_URL`). */
  readonly adminUrl?: string;
}

/**
 * Creates a fresh, empty database `ts_<prefix>_<random>` (one per spec file: it costs milliseconds).
 *
 * @example
 * const db = await createTestDatabase('projector');
 * const pool = new pg.Pool({ connectionString: db.url });
 * // ... tests ...
 * await pool.end();
 * await db.drop();
 */
export async function createTestDatabase(
  prefix: string,
  opts: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const adminUrl = opts.adminUrl ?? process.env.PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL;
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const name = `ts_${clean}_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      await admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `drop database ${name}`);
      dropped = true;
    },
  };
}

async function admin(adminUrl: string, sql: string, what: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(sql);
  } catch (err) {
    throw new TickstreamError(
      'STACK_ERROR',
      `could not ${what} on ${redact(adminUrl)}: ${(err as Error).message} (is PostgreSQL up? run \`npm run setup\`)`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(malformed URL)';
  }
}
