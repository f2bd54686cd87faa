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
 * How this process gets its partitions: 'static' (PROJECTOR_PARTITIONS, fixed for its life) or 'etcd'
 * (all partitions shared by every projector process of the same ledger and consumer name through
 * leases in etcd). PROJECTOR_ASSIGNMENT=auto is 'etcd' when CONTROL_PLANE=etcd and
 * PROJECTOR_PARTITIONS=all. 'etcd' with a partition list is CONFIG_INVALID (the two would contradict).
 *
 * @example
 * assignmentOf({ PROJECTOR_ASSIGNMENT: 'auto', CONTROL_PLANE: 'etcd', PROJECTOR_PARTITIONS: 'all' }); // 'etcd'
 * assignmentOf({ PROJECTOR_ASSIGNMENT: 'auto', CONTROL_PLANE: 'etcd', PROJECTOR_PARTITIONS: '0,1' }); // 'static'
 */
export function assignmentOf(
  cfg: Pick<ProjectorConfig, 'PROJECTOR_ASSIGNMENT' | 'CONTROL_PLANE' | 'PROJECTOR_PARTITIONS'>,
): 'static' | 'etcd' {
  if (cfg.PROJECTOR_ASSIGNMENT === 'etcd' && cfg.PROJECTOR_PARTITIONS !== 'all') {
    throw new TickstreamError(
      'CONFIG_INVALID',
      `PROJECTOR_ASSIGNMENT=etcd shares all partitions between processes; PROJECTOR_PARTITIONS=${cfg.PROJECTOR_PARTITIONS} ` +
        'names fixed ones: set PROJECTOR_PARTITIONS=all, or PROJECTOR_ASSIGNMENT=static',
    );
  }
  if (cfg.PROJECTOR_ASSIGNMENT !== 'auto') return cfg.PROJECTOR_ASSIGNMENT;
  return cfg.CONTROL_PLANE === 'etcd' && cfg.PROJECTOR_PARTITIONS === 'all' ? 'etcd' : 'static';
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
