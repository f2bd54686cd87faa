import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { TickstreamError } from '@tickstream/shared/errors';
import type { Hex } from 'viem';

/** What the devnet needs of one compiled contract. */
export interface CompiledContract {
  readonly abi: readonly unknown[];
  readonly bytecode: Hex;
}

/** The devnet's own contracts (`deploy/devnet/contracts/*.sol`), compiled. */
export interface DevnetContracts {
  readonly TestToken: CompiledContract;
  readonly Actor: CompiledContract;
}

interface Solc {
  compile(input: string): string;
  version(): string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

const SOURCES = ['TestToken.sol', 'Actor.sol'] as const;
const CONTRACTS_DIR = new URL('../contracts/', import.meta.url);
const CACHE_DIR = new URL('../.cache/', import.meta.url);
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

let memo: Promise<DevnetContracts> | undefined;

/**
 * Compiles the devnet's Solidity sources with the `solc` npm package (soljson, no native binary) once,
 * and caches the result in memory and under `deploy/devnet/.cache/solc-<hash>.json` (the hash covers
 * the sources, the settings and the compiler version, so an edit recompiles).
 *
 * @example
 * const { TestToken, Actor } = await compileDevnetContracts();
 */
export function compileDevnetContracts(): Promise<DevnetContracts> {
  memo ??= loadOrCompile().catch((err: unknown) => {
    memo = undefined;
    throw err;
  });
  return memo;
}

async function loadOrCompile(): Promise<DevnetContracts> {
  const sources: Record<string, { content: string }> = {};
  for (const name of SOURCES) {
    sources[name] = { content: await readFile(new URL(name, CONTRACTS_DIR), 'utf8') };
  }
  const require = createRequire(import.meta.url);
  const solcVersion = (require('solc/package.json') as { version: string }).version;
  const key = createHash('sha256')
    .update(JSON.stringify({ solcVersion, SETTINGS, sources }))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = new URL(`solc-${key}.json`, CACHE_DIR);
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8')) as DevnetContracts;
  } catch {
    // not cached yet (or unreadable): compile below
  }
  const solc = require('solc') as Solc;
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: 'Solidity', sources, settings: SETTINGS })),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new TickstreamError('DEVNET_ERROR', `solc ${solc.version()} failed on the devnet contracts`, {
      details: { errors: errors.map((e) => e.formattedMessage) },
    });
  }
  const pick = (file: string, name: string): CompiledContract => {
    const c = output.contracts?.[file]?.[name];
    if (c === undefined) throw new TickstreamError('DEVNET_ERROR', `solc produced no contract ${name}`);
    return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  };
  const compiled: DevnetContracts = {
    TestToken: pick('TestToken.sol', 'TestToken'),
    Actor: pick('Actor.sol', 'Actor'),
  };
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = new URL(`solc-${key}.${process.pid}.tmp`, CACHE_DIR);
  await writeFile(tmp, JSON.stringify(compiled));
  await rename(tmp, cacheFile);
  return compiled;
}
