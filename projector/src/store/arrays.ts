/**
 * Postgres array literals for `unnest($n::type[])` bulk statements, built by hand: one string parameter
 * per column instead of node-postgres escaping every element.
 */

/**
 * An array of values that need no quoting: integers, bigints, decimal strings, hex strings; null → NULL.
 *
 * @example
 * plainArray([1n, null, '0xab']); // '{1,NULL,0xab}'
 */
export function plainArray(values: readonly (string | number | bigint | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : String(v);
  }
  return `${out}}`;
}

/**
 * One column of rows: `pick` applied to each.
 *
 * @example plainArray(column(rows, (r) => r.tick)) // '{-60,60}'
 */
export function column<R, V>(rows: readonly R[], pick: (row: R) => V): V[] {
  const out = new Array<V>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = pick(rows[i]!);
  return out;
}

/**
 * `plainArray(column(rows, pick))` in one pass, without the intermediate array.
 *
 * @example plainColumn([{ tick: -60 }, { tick: 60 }], (r) => r.tick) // '{-60,60}'
 */
export function plainColumn<R>(
  rows: readonly R[],
  pick: (row: R) => string | number | bigint | null,
): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    const v = pick(rows[i]!);
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : String(v);
  }
  return `${out}}`;
}
