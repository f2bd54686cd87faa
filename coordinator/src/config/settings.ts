import { hostname } from 'node:os';
import { TickstreamError } from '@tickstream/shared';
import { z } from 'zod';

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int('expected a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/**
 * Coordinator and module-client settings that `@tickstream/shared`'s schema does not have yet (to be
 * merged there): read from the environment by the same names.
 */
export const coordinatorSettingsSchema = z.object({
  /** This coordinator's name in elections and logs (default `<hostname>-<pid>`). */
  COORDINATOR_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, . _ : - only')
    .optional(),
  /** TTL of the leader's lease in seconds: a dead leader is replaced within about this long. */
  COORDINATOR_LEASE_TTL_S: int(1, 60).default(3),
  /** TTL of a module's registration lease in seconds: a dead module stops being waited for after this. */
  MODULE_LEASE_TTL_S: int(1, 60).default(3),
  /** How long the CLI waits for etcd before it reports it unreachable (exit code 2). */
  CLI_ETCD_TIMEOUT_MS: int(100, 60_000).default(2_000),
});

export type CoordinatorSettings = z.output<typeof coordinatorSettingsSchema> & { COORDINATOR_ID: string };

/**
 * Parses the coordinator settings from `env`; throws CONFIG_INVALID naming each bad variable.
 *
 * @example
 * const { COORDINATOR_LEASE_TTL_S } = loadCoordinatorSettings(); // 3 unless set
 */
export function loadCoordinatorSettings(
  env: Record<string, string | undefined> = process.env,
): CoordinatorSettings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(coordinatorSettingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = coordinatorSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${String(i.path[0])}: ${i.message} (got ${JSON.stringify(raw[String(i.path[0])])})`,
    );
    throw new TickstreamError('CONFIG_INVALID', `Invalid coordinator settings:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return { ...parsed.data, COORDINATOR_ID: parsed.data.COORDINATOR_ID ?? `${hostname()}-${process.pid}` };
}
