import { readFileSync } from 'node:fs';
import { TickstreamError } from '../errors';
import { REQUIRED, type ServiceName, type ServiceSettings, type SettingName, settingsSchema } from './schema';

/**
 * Reads the configuration once, at start: the optional JSON file named by `TICKSTREAM_CONFIG`
 * (keys are the same names as the environment variables), overridden by the environment.
 * Throws CONFIG_INVALID naming every bad or missing setting.
 *
 * @example
 * const cfg = loadConfig('ingest'); // throws "RPC_URL: required by ingest" when unset
 */
export function loadConfig<S extends ServiceName>(
  service: S,
  env: Record<string, string | undefined> = process.env,
): ServiceSettings<S> {
  const fromFile = readConfigFile(env.TICKSTREAM_CONFIG);
  const raw: Record<string, unknown> = { ...fromFile };
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(root)');
      const got = raw[name];
      problems.push(`${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
    }
  } else {
    for (const name of REQUIRED[service] as readonly SettingName[]) {
      if (parsed.data[name] === undefined) problems.push(`${name}: required by ${service}, but not set`);
    }
    if (parsed.data.BACKFILL_MAX_LOGS < parsed.data.BACKFILL_TARGET_LOGS) {
      problems.push(
        `BACKFILL_MAX_LOGS: must be at least BACKFILL_TARGET_LOGS (${parsed.data.BACKFILL_TARGET_LOGS})`,
      );
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new TickstreamError(
      'CONFIG_INVALID',
      `Invalid configuration for ${service}:\n  ${problems.join('\n  ')}`,
      {
        details: { problems },
      },
    );
  }
  return parsed.data as ServiceSettings<S>;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined || path === '') return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TickstreamError('CONFIG_INVALID', `TICKSTREAM_CONFIG: cannot read ${path}`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new TickstreamError(
      'CONFIG_INVALID',
      `TICKSTREAM_CONFIG: ${path} is not a JSON object of settings`,
      {
        cause,
      },
    );
  }
}
