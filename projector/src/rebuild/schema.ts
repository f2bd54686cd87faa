import { TickstreamError } from '@tickstream/shared';
import type { Pool } from 'pg';
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
 * the bulk load (`KeyBuilder`): one sort per index instead of one insertion per row. One transaction
 * in three round trips (the DDL, the catalog read, the drops).
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
    await c.query(
      `BEGIN; DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}; SET LOCAL search_path TO ${s};
       ${PROJECTION_DDL}`,
    );
    // Constraints (primary key, unique) and the other indexes of each table.
    const { rows } = await c.query<{ t: string; kind: 'c' | 'i'; name: string; def: string }>(
      `SELECT t.relname AS t, 'c' AS kind, k.conname AS name, pg_get_constraintdef(k.oid) AS def
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname = ANY($2::text[]) AND k.contype IN ('p', 'u')
       UNION ALL
       SELECT t.relname, 'i', i.relname, pg_get_indexdef(i.oid)
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
        ORDER BY 1, 2, 3`,
      [schema, tables],
    );
    const out = new Map<string, TableKeys>(
      tables.map((table) => [table, { schema, table, statements: [], attach: [] }]),
    );
    const drops: string[] = [];
    for (const r of rows) {
      const k = out.get(r.t)!;
      if (r.kind === 'c') {
        const m = /^(PRIMARY KEY|UNIQUE) (\([^()]*\))$/.exec(r.def);
        if (m !== null) {
          k.statements.push(`CREATE UNIQUE INDEX ${r.name} ON ${s}.${r.t} ${m[2]}`);
          k.attach.push(`ALTER TABLE ${s}.${r.t} ADD CONSTRAINT ${r.name} ${m[1]} USING INDEX ${r.name}`);
        } else k.attach.push(`ALTER TABLE ${s}.${r.t} ADD CONSTRAINT ${r.name} ${r.def}`);
        drops.push(`ALTER TABLE ${s}.${r.t} DROP CONSTRAINT ${r.name}`);
      } else {
        k.statements.push(r.def); // pg_get_indexdef names the schema
        drops.push(`DROP INDEX ${s}.${r.name}`);
      }
    }
    await c.query(`${drops.map((d) => `${d};`).join(' ')} COMMIT`);
    return [...out.values()];
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/**
 * Builds the keys and indexes dropped by `createRebuildSchema` again, table by table as each one's
 * rows are all in (`build`), while the rest of the rebuild goes on. Per table, its indexes (CREATE
 * INDEX takes a SHARE lock, which does not conflict with itself), then the constraints attached and
 * ANALYZE (of the table's `stats` columns when given: see `RebuiltTable.stats`; ANALYZE would
 * conflict with the index builds, so it comes last).
 *
 * At most CONCURRENCY statements run at once, the biggest table's first (an index build costs about
 * its table's size): the longest chain (events: its address index, ~0.45 s on the bench ledger, then
 * ANALYZE) starts at once with a core of its own instead of a share of eleven (it used to end ~0.2 s
 * after everything else, one core idle), while the other statements take turns on the other core.
 * Without parallel maintenance workers (each would take its core from another build).
 *
 * @example
 * const kb = new KeyBuilder(pg, keys, new Map([['events', ['chain_id', 'block_number']]]));
 * kb.build(['nft_positions']); // its COPY is done
 * kb.build(['events', 'pools']);
 * await kb.done();
 */
export class KeyBuilder {
  readonly #keys: Map<string, TableKeys>;
  readonly #started = new Set<string>();
  readonly #running: Promise<void>[] = [];
  /** Statements waiting for a connection, with their table's size (the biggest go first). */
  readonly #queue: { size: number; sqls: readonly string[]; done: () => void; fail: (e: unknown) => void }[] =
    [];
  #active = 0;

  constructor(
    private readonly pg: Pool,
    keys: readonly TableKeys[],
    private readonly stats: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    this.#keys = new Map(keys.map((k) => [k.table, k]));
  }

  /** Starts building the keys of `tables` (their rows are all in); tables built already are skipped. */
  build(tables: readonly string[]): void {
    const ks: TableKeys[] = [];
    for (const t of tables) {
      const k = this.#keys.get(t);
      if (k === undefined || this.#started.has(t)) continue;
      this.#started.add(t);
      ks.push(k);
    }
    if (ks.length === 0) return;
    const p = this.#build(ks);
    p.catch(() => undefined); // awaited by done()
    this.#running.push(p);
  }

  /** Resolves once every table given to `build` has its keys; rejects with the first failure. */
  async done(): Promise<void> {
    for (let i = 0; i < this.#running.length; i++) await this.#running[i];
  }

  async #build(keys: readonly TableKeys[]): Promise<void> {
    const sizes = await this.pg.query<{ t: string; n: string }>(
      `SELECT t, pg_relation_size(($1 || '.' || t)::regclass)::text AS n FROM unnest($2::text[]) AS t`,
      [ident(keys[0]!.schema), keys.map((k) => k.table)],
    );
    const size = new Map(sizes.rows.map((r) => [r.t, Number(r.n)]));
    await Promise.all(
      keys.map(async (k) => {
        const n = size.get(k.table) ?? 0;
        await Promise.all(k.statements.map((sql) => this.#submit(n, [sql])));
        const cols = this.stats.get(k.table);
        const analyze = `ANALYZE ${ident(k.schema)}.${k.table}${cols === undefined ? '' : ` (${cols.join(', ')})`}`;
        await this.#submit(n, [...k.attach, analyze]);
      }),
    );
  }

  #submit(size: number, sqls: readonly string[]): Promise<void> {
    return new Promise((done, fail) => {
      this.#queue.push({ size, sqls, done, fail });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#active < CONCURRENCY && this.#queue.length > 0) {
      let at = 0;
      for (let i = 1; i < this.#queue.length; i++) if (this.#queue[i]!.size > this.#queue[at]!.size) at = i;
      const job = this.#queue.splice(at, 1)[0]!;
      this.#active++;
      this.#run(job.sqls)
        .then(job.done, job.fail)
        .finally(() => {
          this.#active--;
          this.#pump();
        });
    }
  }

  async #run(sqls: readonly string[]): Promise<void> {
    const c = await this.pg.connect();
    try {
      // 256 MB: sorts stay in memory.
      await c.query('SET maintenance_work_mem = 262144; SET max_parallel_maintenance_workers = 0');
      for (const sql of sqls) await c.query(sql);
    } finally {
      await c
        .query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers')
        .catch(() => undefined);
      c.release();
    }
  }
}

/** Key statements running at once: one per core, so that the longest chain has a core of its own. */
const CONCURRENCY = 2;

/**
 * Builds every table's keys at once (`KeyBuilder`): the rows of all of them are in.
 *
 * @example await restoreKeys(pg, keys);
 */
export async function restoreKeys(
  pg: Pool,
  keys: readonly TableKeys[],
  stats?: ReadonlyMap<string, readonly string[]>,
): Promise<void> {
  const kb = new KeyBuilder(pg, keys, stats);
  kb.build(keys.map((k) => k.table));
  await kb.done();
}
