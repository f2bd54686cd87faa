import { badRequest } from './errors';
import { quote } from './params';

/**
 * Opaque page cursors: base64url of a small JSON object tagged with the list it belongs to. Clients
 * pass `nextCursor` back unchanged; anything that does not decode to the expected shape is a 400.
 *
 * @example
 * const c = encodeCursor('pools', { after: '0xab…' });
 * decodeCursor('pools', c, isPoolsCursor) // { after: '0xab…' }
 */
export function encodeCursor(kind: string, payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...payload }), 'utf8').toString('base64url');
}

export function decodeCursor<T>(
  kind: string,
  raw: string | undefined,
  check: (value: Record<string, unknown>) => T | undefined,
): T | undefined {
  if (raw === undefined) return undefined;
  const fail = () => badRequest(`cursor: not a cursor of this list, got ${quote(raw)}`);
  if (!/^[A-Za-z0-9_-]+$/.test(raw) || raw.length > 512) throw fail();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail();
  const obj = value as Record<string, unknown>;
  if (obj.k !== kind) throw fail();
  const out = check(obj);
  if (out === undefined) throw fail();
  return out;
}
