import { z } from 'zod';
import { MODULE_KINDS } from './keys';

/**
 * The JSON values stored under the keys of `keysFor`, as zod schemas (values read from etcd are parsed,
 * never trusted) and their types.
 */

const kind = z.enum(MODULE_KINDS);
const block = z.number().int().min(0);
const iso = z.string().min(1);

export const MODULE_STATES = ['running', 'suspended', 'halted'] as const;
export type ModuleState = (typeof MODULE_STATES)[number];

/** `/modules/<kind>/<id>`: a module's registration (under its lease) and status. */
export const moduleStatusSchema = z.object({
  state: z.enum(MODULE_STATES),
  block,
  lag: z.number().optional(),
  heartbeatAt: iso,
  lastToken: z.number().int().min(0),
  lastReorgId: z.string().nullable(),
  detail: z.string().optional(),
  /** The partitions a projector process runs now (etcd assignment). */
  partitions: z.array(z.string()).optional(),
});
export type ModuleStatus = z.output<typeof moduleStatusSchema>;

export const STEPS = ['suspend', 'rollback', 'restore', 'pause', 'resume'] as const;
export type Step = (typeof STEPS)[number];

/** `/commands/<kind>/<id>` and `/commands/<kind>/_all`: one command from the leader. */
export const commandSchema = z.object({
  token: z.number().int().min(1),
  reorgId: z.string().min(1),
  step: z.enum(STEPS),
  targetBlock: block.optional(),
  newBlockHash: z.string().nullable().optional(),
});
export type Command = z.output<typeof commandSchema>;

/** `/acks/<reorgId>/<step>/<kind>/<id>`: a module's answer to a command. */
export const ackSchema = z.object({
  ok: z.boolean(),
  token: z.number().int(),
  at: iso,
  result: z.unknown().optional(),
  error: z.string().optional(),
  repeated: z.boolean().optional(),
});
export type Ack = z.output<typeof ackSchema>;

export const newHeadSchema = z.object({ number: block, hash: z.string().min(1) });

/** `/reports/<reorgId>`: a reorg reported by a module, waiting for the leader. */
export const reportSchema = z.object({
  reorgId: z.string().min(1),
  targetBlock: block,
  newHead: newHeadSchema,
  reporter: z.string().optional(),
  at: iso,
});
export type Report = z.output<typeof reportSchema>;

/** `/halts/<kind>/<id>`: a module stopped and needs an operator (e.g. a reorg deeper than finality). */
export const haltSchema = z.object({
  kind,
  id: z.string(),
  reason: z.string(),
  block: block.optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
  at: iso,
});
export type Halt = z.output<typeof haltSchema>;

export const PHASES = ['SUSPENDING', 'ROLLING_BACK', 'RESTORING', 'DONE'] as const;
export type Phase = (typeof PHASES)[number];

export const stepRecordSchema = z.object({
  step: z.enum(STEPS),
  kind,
  id: z.string().optional(),
  startedAt: iso,
  doneAt: iso.optional(),
  /** `kind/id` of the modules whose ack completed the step (dead ones included). */
  acked: z.array(z.string()).optional(),
});
export type StepRecord = z.output<typeof stepRecordSchema>;

/** `/reorg/current` and `/reorg/history/<reorgId>`: the reorg context, written before each step. */
export const reorgContextSchema = z.object({
  reorgId: z.string().min(1),
  origin: z.enum(['report', 'operator']),
  targetBlock: block,
  newBlockHash: z.string().nullable(),
  phase: z.enum(PHASES),
  moduleStatuses: z.record(z.string(), z.object({ state: z.enum(MODULE_STATES), block, heartbeatAt: iso })),
  /** Where the pipeline stands after the reorg: blocks up to `keptBlock` stay; all resume from `resumeFrom`. */
  checkpoint: z.object({ keptBlock: block, resumeFrom: block, newHead: newHeadSchema.nullable() }),
  steps: z.array(stepRecordSchema),
  startedAt: iso,
  doneAt: iso.optional(),
  durationMs: z.number().optional(),
  leaderToken: z.number().int().min(1),
});
export type ReorgContext = z.output<typeof reorgContextSchema>;

/** `/coordinator/leader`: who leads. */
export const leaderValueSchema = z.object({ id: z.string(), pid: z.number(), host: z.string(), since: iso });
export type LeaderValue = z.output<typeof leaderValueSchema>;

/** `/coordinator/heartbeat`: the leader's last fenced heartbeat. */
export const heartbeatSchema = z.object({
  id: z.string(),
  token: z.number().int(),
  at: iso,
  phase: z.string().nullable(),
});
export type Heartbeat = z.output<typeof heartbeatSchema>;

/** `/requests/rollback`. */
export const rollbackRequestSchema = z.object({ toBlock: block, at: iso, by: z.string().optional() });
/** `/requests/pause`, `/requests/resume`, `/requests/resign` (resign may name the leader it is meant for). */
export const simpleRequestSchema = z.object({
  at: iso,
  by: z.string().optional(),
  token: z.number().optional(),
});

/** `/control/paused`: present while an operator pause is in force. */
export const pausedSchema = z.object({ at: iso, opId: z.string() });

/**
 * Parses a JSON value read from etcd with `schema`; undefined when it is not JSON or does not fit
 * (callers log and skip it: one malformed key must not stop the leader or the CLI).
 *
 * @example
 * const status = parseValue(moduleStatusSchema, kv.value.toString());
 */
export function parseValue<T>(schema: z.ZodType<T>, text: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
