/** The three kinds of pipeline module, in pipeline order (data flows ingest -> projector -> api). */
export const MODULE_KINDS = ['ingest', 'projector', 'api'] as const;
export type ModuleKind = (typeof MODULE_KINDS)[number];

/** Rollback runs against the flow: api caches first, then projections, then the ingest cursor. */
export const ROLLBACK_ORDER: readonly ModuleKind[] = ['api', 'projector', 'ingest'];

/** The name of the per-kind broadcast command key (module ids cannot start with `_`). */
export const BROADCAST = '_all';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** True for a module id or reorg id that is safe as one etcd key segment. */
export function isKeySegment(s: string): boolean {
  return NAME.test(s);
}

/**
 * Every etcd key Tickstream's control plane uses, for one chain. All live under `/tickstream/<chainId>/`.
 *
 * @example
 * const k = keysFor(31337);
 * k.module('projector', 'p0'); // '/tickstream/31337/modules/projector/p0'
 */
export function keysFor(chainId: number) {
  const root = `/tickstream/${chainId}`;
  return {
    root: `${root}/`,
    /** The leader's key, under its lease; its create revision is the fencing token. */
    leader: `${root}/coordinator/leader`,
    /** The leader's fenced heartbeat (id, token, time), rewritten every TTL/3. */
    heartbeat: `${root}/coordinator/heartbeat`,
    modules: `${root}/modules/`,
    module: (kind: ModuleKind, id: string) => `${root}/modules/${kind}/${id}`,
    command: (kind: ModuleKind, id: string) => `${root}/commands/${kind}/${id}`,
    broadcast: (kind: ModuleKind) => `${root}/commands/${kind}/${BROADCAST}`,
    acks: `${root}/acks/`,
    acksOf: (reorgId: string) => `${root}/acks/${reorgId}/`,
    /** Acks of operator pause/resume operations (their ids start with `op-`). */
    opAcks: `${root}/acks/op-`,
    ack: (reorgId: string, step: string, kind: ModuleKind, id: string) =>
      `${root}/acks/${reorgId}/${step}/${kind}/${id}`,
    reports: `${root}/reports/`,
    report: (reorgId: string) => `${root}/reports/${reorgId}`,
    halts: `${root}/halts/`,
    halt: (kind: ModuleKind, id: string) => `${root}/halts/${kind}/${id}`,
    current: `${root}/reorg/current`,
    history: `${root}/reorg/history/`,
    historyOf: (reorgId: string) => `${root}/reorg/history/${reorgId}`,
    requests: `${root}/requests/`,
    request: (name: RequestName) => `${root}/requests/${name}`,
    paused: `${root}/control/paused`,
  };
}

export type Keys = ReturnType<typeof keysFor>;

/** Operator requests the leader watches. */
export const REQUEST_NAMES = ['rollback', 'pause', 'resume', 'resign'] as const;
export type RequestName = (typeof REQUEST_NAMES)[number];
