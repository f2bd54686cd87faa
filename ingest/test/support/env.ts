import { testPrefix } from '@tickstream/deploy/local';

/** A stream prefix of its own, so tests never share a ledger. */
export const uniquePrefix = (name: string): string => testPrefix('T', name);
