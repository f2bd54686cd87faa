import { randomBytes } from 'node:crypto';

/** A stream prefix of its own, so tests never share a ledger. */
export function uniquePrefix(name: string): string {
  return `T${name.toUpperCase()}${randomBytes(3).toString('hex').toUpperCase()}`;
}
