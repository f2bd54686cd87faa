import { type ServiceSettings, TickstreamError } from '@tickstream/shared';

/** The projector's settings: the shared schema (PROJECTOR_* settings included). */
export type ProjectorConfig = ServiceSettings<'projector'>;

/**
 * The partitions a process runs, from PROJECTOR_PARTITIONS and PARTITIONS; a pool partition out of
 * range is CONFIG_INVALID.
 *
 * @example
 * selectPartitions('all', 4); // [0, 1, 2, 3, 'tokens']
 * selectPartitions('2,tokens', 4); // [2, 'tokens']
 */
export function selectPartitions(spec: string, count: number): (number | 'tokens')[] {
  if (spec === 'all') {
    const out: (number | 'tokens')[] = [];
    for (let p = 0; p < count; p++) out.push(p);
    out.push('tokens');
    return out;
  }
  const out = new Set<number | 'tokens'>();
  for (const part of spec.split(',')) {
    if (part === 'tokens') out.add('tokens');
    else {
      const p = Number(part);
      if (p >= count) {
        throw new TickstreamError(
          'CONFIG_INVALID',
          `PROJECTOR_PARTITIONS: partition ${p} is out of range (PARTITIONS = ${count})`,
        );
      }
      out.add(p);
    }
  }
  return [...out];
}

/**
 * The n of PROJECTOR_FAULT=crash-after-commit:<n>, or undefined.
 *
 * @example crashAfterCommit('crash-after-commit:3') === 3
 */
export function crashAfterCommit(fault: string | undefined): number | undefined {
  if (fault === undefined) return undefined;
  return Number(fault.slice('crash-after-commit:'.length));
}
