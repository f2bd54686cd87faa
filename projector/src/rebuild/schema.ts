import { TickstreamError } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';
import { PROJECTION_DDL } from '../store';

/** A quoted identifier (schema names come from options). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new TickstreamError('BAD_REQUEST', `'${name}' is not a plain lowercase Postgres identifier`);
  }
  return `"${name}"`;
}

/** The keys and indexes of a table, dropped while it is bulk-loaded and built again after. */
export interface TableKeys {
  readonly schema: string;
  readonly table: string;
  /**
   * `CREATE [UNIQUE] INDEX …` statements, independent of each other (built at once on several
   * connections: CREATE INDEX takes a SHARE lock, which does not conflict with itself).
   */
  readonly statements: string[];
  /**
   * Run once the table's indexes are built: `ALTER TABLE … ADD CONSTRAINT … USING INDEX …` (the key
   * columns are already NOT NULL: no scan), or a constraint added the slow way when its definition is
   * not a plain column list.
   */
  readonly attach: string[];
}

/**
 * Creates `schema` afresh (dropped first if present) with the projection tables (`PROJECTION_DDL`, the
 * same as the live ones), then drops the primary keys and indexes of `tables`, to be built once after
 * the bulk load (`restoreKeys`): one sort per index instead of one insertion per row.
 *
 * @example
 * const keys = await createRebuildSchema(pg, 'tickstream_rebuild', ['events', 'pool_history']);
 */
export async function createRebuildSchema(
  pg: Pool,
  schema: string,
  tables: readonly string[],
): Promise<TableKeys[]> {
  const s = ident(schema);
  const c = await pg.connect();
  try {
    await c.query('BEGIN');
    await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.query(`CREATE SCHEMA ${s}`);
    await c.query(`SET LOCAL search_path TO ${s}`);
    await c.query(PROJECTION_DDL);
    const out: TableKeys[] = [];
    for (const table of tables) out.push(await dropKeys(c, schema, table));
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

async function dropKeys(c: PoolClient, schema: string, table: string): Promise<TableKeys> {
  const s = ident(schema);
  const cons = await c.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = ($1 || '.' || $2)::regclass AND contype IN ('p', 'u')`,
    [s, table],
  );
  const idx = await c.query<{ name: string; def: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
      WHERE x.indrelid = ($1 || '.' || $2)::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)`,
    [s, table],
  );
  const statements: string[] = [];
  const attach: string[] = [];
  for (const k of cons.rows) {
    const m = /^(PRIMARY KEY|UNIQUE) (\([^()]*\))$/.exec(k.def);
    if (m !== null) {
      statements.push(`CREATE UNIQUE INDEX ${k.name} ON ${s}.${table} ${m[2]}`);
      attach.push(`ALTER TABLE ${s}.${table} ADD CONSTRAINT ${k.name} ${m[1]} USING INDEX ${k.name}`);
    } else attach.push(`ALTER TABLE ${s}.${table} ADD CONSTRAINT ${k.name} ${k.def}`);
    await c.query(`ALTER TABLE ${s}.${table} DROP CONSTRAINT ${k.name}`);
  }
  for (const i of idx.rows) {
    statements.push(i.def); // pg_get_indexdef names the schema
    await c.query(`DROP INDEX ${s}.${i.name}`);
  }
  return { schema, table, statements, attach };
}

/**
 * Builds the keys and indexes dropped by `createRebuildSchema` again: every index on its own connection
 * at once (as many as the pool gives; the biggest tables first), so that no table's indexes wait for
 * one another; then, per table once its indexes are built, the constraints attached and ANALYZE.
 *
 * @example await restoreKeys(pg, keys);
 */
export async function restoreKeys(pg: Pool, keys: readonly TableKeys[]): Promise<void> {
  if (keys.length === 0) return;
  const sizes = await pg.query<{ t: string; n: string }>(
    `SELECT t, pg_relation_size(($1 || '.' || t)::regclass)::text AS n FROM unnest($2::text[]) AS t`,
    [ident(keys[0]!.schema), keys.map((k) => k.table)],
  );
  const size = new Map(sizes.rows.map((r) => [r.t, Number(r.n)]));
  const sorted = [...keys].sort((a, b) => (size.get(b.table) ?? 0) - (size.get(a.table) ?? 0));
  const run = async (sqls: readonly string[]) => {
    const c = await pg.connect();
    try {
      await c.query('SET maintenance_work_mem = 262144'); // kB: 256 MB, sorts stay in memory
      for (const sql of sqls) await c.query(sql);
    } finally {
      await c.query('RESET maintenance_work_mem').catch(() => undefined);
      c.release();
    }
  };
  await Promise.all(
    sorted.map(async (k) => {
      await Promise.all(k.statements.map((sql) => run([sql])));
      await run([...k.attach, `ANALYZE ${ident(k.schema)}.${k.table}`]);
    }),
  );
}
