import { z } from 'zod';

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address')
  .transform((s) => s.toLowerCase() as `0x${string}`);

const url = (protocols: readonly string[]) =>
  z
    .string()
    .min(1, 'must not be empty')
    .refine(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol);
        } catch {
          return false;
        }
      },
      { message: `expected a URL with one of ${protocols.map((p) => `${p}//`).join(', ')}` },
    );

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int('expected a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const providerSpec = z.union([
  url(['http:', 'https:', 'ws:', 'wss:']).transform((u) => ({ url: u })),
  z
    .object({
      url: url(['http:', 'https:', 'ws:', 'wss:']),
      weight: z.number().positive('weight must be positive').optional(),
      maxRps: z.number().positive('maxRps must be positive').optional(),
    })
    .strict(),
]);

/** RPC_URLS: a JSON list of `{ url, weight?, maxRps? }` (or of URLs), or comma-separated URLs. */
const providerList = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v.includes('://') && !v.trim().startsWith('[') ? v.split(',').map((x) => x.trim()) : v;
    }
  },
  z
    .array(providerSpec, { message: 'expected a JSON list of { url, weight?, maxRps? }' })
    .min(1, 'must not be empty'),
);

/**
 * Every setting of every service, by its environment variable name. Each has a default that fits the
 * local devnet, except the ones a service must be told (see `REQUIRED`). Documented in the README.
 */
export const settingsSchema = z.object({
  CHAIN_ID: int(1).default(31337),
  RPC_URL: url(['http:', 'https:', 'ws:', 'wss:']).optional(),
  RPC_WS_URL: url(['ws:', 'wss:']).optional(),
  START_BLOCK: int(0).default(0),
  FACTORY_ADDRESS: address.optional(),
  POSITION_MANAGER_ADDRESS: address.optional(),
  FINALITY_DEPTH: int(1, 10_000).default(64),
  BACKFILL_RANGE: int(1, 1_000_000).default(2_000),
  POLL_INTERVAL_MS: int(10, 3_600_000).default(1_000),
  WATCH_ADDRESSES: z
    .string()
    .regex(
      /^$|^0x[0-9a-fA-F]{40}(:(pool|factory))?(@\d+)?(,0x[0-9a-fA-F]{40}(:(pool|factory))?(@\d+)?)*$/,
      "expected a comma list of '<address>[:pool|:factory][@<fromBlock>]'",
    )
    .default(''),
  RPC_TIMEOUT_MS: int(100, 600_000).default(10_000),
  RPC_MAX_RETRIES: int(0, 100).default(8),
  RPC_URLS: providerList.optional(),
  RPC_HEDGE_MS: int(0, 60_000).default(250),
  RPC_COOLDOWN_MS: int(0, 3_600_000).default(1_000),
  RPC_COOLDOWN_MAX_MS: int(0, 86_400_000).default(60_000),
  RPC_DEMOTE_MS: int(0, 86_400_000).default(300_000),
  BACKFILL_CONCURRENCY: int(1, 64).default(4),
  BACKFILL_TARGET_LOGS: int(1, 10_000_000).default(5_000),
  BACKFILL_MAX_LOGS: int(1, 10_000_000).default(20_000),
  BACKFILL_MAX_INFLIGHT_LOGS: int(1, 100_000_000).default(40_000),
  PARTITIONS: int(1, 256).default(4),
  NATS_URL: url(['nats:', 'tls:', 'ws:', 'wss:']).default('nats://127.0.0.1:4222'),
  LEDGER_STREAM_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .default('TICKSTREAM'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/tickstream'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  ETCD_URL: z
    .string()
    .min(1, 'must not be empty')
    .refine(
      (s) =>
        s.split(',').every((u) => {
          try {
            return ['http:', 'https:'].includes(new URL(u.trim()).protocol);
          } catch {
            return false;
          }
        }),
      { message: 'expected http(s):// URLs, comma-separated for a cluster' },
    )
    .default('http://127.0.0.1:2379'),
  COORDINATOR_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, . _ : - only')
    .optional(),
  COORDINATOR_LEASE_TTL_S: int(1, 60).default(3),
  CLI_ETCD_TIMEOUT_MS: int(100, 60_000).default(2_000),
  CONTROL_PLANE: z.enum(['etcd', 'none']).default('etcd'),
  MODULE_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, . _ : - only')
    .optional(),
  MODULE_LEASE_TTL_S: int(1, 60).default(3),
  PROJECTOR_PARTITIONS: z
    .string()
    .regex(/^(all|(\d+|tokens)(,(\d+|tokens))*)$/, "expected 'all' or a comma list like '0,1,tokens'")
    .default('all'),
  PROJECTOR_ASSIGNMENT: z.enum(['auto', 'static', 'etcd']).default('auto'),
  PROJECTOR_BATCH_ENTRIES: int(1, 100_000).default(5_000),
  PROJECTOR_BACKFILL_HOLD_MS: int(0, 10_000).default(250),
  PROJECTOR_CONSUMER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .default('projector'),
  PROJECTOR_PROGRESS_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  PROJECTOR_FAULT: z
    .string()
    .regex(/^crash-after-commit:[1-9]\d*$/, "expected 'crash-after-commit:<n>'")
    .optional(),
  SNAPSHOT_EVERY_BLOCKS: int(1, 1_000_000).default(8),
  FINALITY_INTERVAL_MS: int(100, 3_600_000).default(2_000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: int(0, 65_535).default(8080),
  API_READY_MAX_LAG_BLOCKS: int(0).default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof Settings;

/** Settings without a default that each service cannot run without. */
export const REQUIRED = {
  ingest: ['RPC_URL', 'FACTORY_ADDRESS', 'POSITION_MANAGER_ADDRESS'],
  projector: [],
  api: [],
  coordinator: [],
  cli: [],
} as const satisfies Record<string, readonly SettingName[]>;

export type ServiceName = keyof typeof REQUIRED;

/** Settings with the required ones of `S` made non-optional. */
export type ServiceSettings<S extends ServiceName> = Settings & {
  [K in (typeof REQUIRED)[S][number]]-?: NonNullable<Settings[K]>;
};
