import { z } from 'zod';

/**
 * Keys of the projector's partition assignment, for one chain and one projector group (the processes
 * that share one ledger's durable consumers: `<LEDGER_STREAM_PREFIX>_<PROJECTOR_CONSUMER_NAME>`), under
 * `/tickstream/<chainId>/projector/<group>/`. A projector process registers as a member under its own
 * lease; each partition it runs is claimed by a put-if-absent of `partitions/<p>` under that same lease,
 * so a dead process loses its member key and its claims at once, when the lease lapses.
 *
 * @example
 * const k = partitionKeysFor(31337, 'TICKSTREAM_projector');
 * k.member('projector-a'); // '/tickstream/31337/projector/TICKSTREAM_projector/members/projector-a'
 * k.partition('tokens'); // '/tickstream/31337/projector/TICKSTREAM_projector/partitions/tokens'
 */
export function partitionKeysFor(chainId: number, group: string) {
  const root = `/tickstream/${chainId}/projector/${group}`;
  return {
    root: `${root}/`,
    members: `${root}/members/`,
    member: (id: string) => `${root}/members/${id}`,
    partitions: `${root}/partitions/`,
    partition: (p: number | 'tokens') => `${root}/partitions/${p}`,
  };
}

export type PartitionKeys = ReturnType<typeof partitionKeysFor>;

/** `projector/members/<id>`: a live projector process, under its lease. */
export const memberValueSchema = z.object({
  id: z.string().min(1),
  pid: z.number().int(),
  host: z.string(),
  since: z.string().min(1),
});
export type MemberValue = z.output<typeof memberValueSchema>;

/** `projector/partitions/<p>`: the member that runs partition p, under that member's lease. */
export const partitionClaimSchema = z.object({
  member: z.string().min(1),
  since: z.string().min(1),
});
export type PartitionClaim = z.output<typeof partitionClaimSchema>;
