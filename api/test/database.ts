import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where test databases are created: `PG_ADMIN_URL`, else the local PostgreSQL as user postgres. */
const ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database `ts_api_<random>` for one spec file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ts_api_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Inserts rows (objects keyed by column) into `table` in one statement; a missing column takes its DEFAULT. */
export async function insert(
  db: pg.Pool,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const slots = columns.map((col) => {
      if (!(col in row)) return 'DEFAULT';
      values.push(row[col]);
      return `$${values.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  await db.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
}
