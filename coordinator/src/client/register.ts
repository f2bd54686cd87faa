import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, describeError, type Logger, type TickstreamError } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import { readAll } from '../connect';
import {
  type Ack,
  ackSchema,
  type Command,
  commandSchema,
  keysFor,
  type ModuleKind,
  type ModuleStatus,
  parseValue,
  reorgContextSchema,
} from '../layout';
import { assertModuleRef } from '../modules';
import { type CommandMemory, decideCommand, stateAfter, stepKey } from './decide';
import { Registration } from './registration';

/** Runs one command; its resolved value goes into the ack. Throw to fail (the step is retried). */
export type CommandHandler = (command: Command) => unknown;

/** The fields of its status a module sets itself. */
export type StatusPatch = Partial<Pick<ModuleStatus, 'state' | 'block' | 'lag' | 'detail'>>;

export interface RegisterModuleOptions {
  readonly chainId: number;
  readonly kind: ModuleKind;
  readonly id: string;
  readonly onCommand: CommandHandler;
  /** Registration lease TTL in seconds (default 3): the module counts as dead this long after it stops. */
  readonly leaseTtlS?: number;
  readonly initial?: StatusPatch;
  /** Called when a command from a deposed leader (lower token) is refused. */
  readonly onRefused?: (error: TickstreamError, command: Command) => void;
  /** First delay before a failed step is tried again (default 500 ms, doubling up to 10 s). */
  readonly retryMs?: number;
  readonly log?: Logger;
}

/** A registered module: its status in etcd and its command stream. */
export interface ModuleHandle {
  readonly key: string;
  readonly status: Readonly<ModuleStatus>;
  /** The highest fencing token seen; commands below it are refused. */
  readonly highestToken: number;
  /** How many commands were refused as FENCED. */
  readonly refused: number;
  /** Sets fields of the status (and refreshes `heartbeatAt`). */
  update(patch: StatusPatch): Promise<void>;
  /** Stops watching and revokes the lease: the registration disappears at once. */
  close(): Promise<void>;
}

/**
 * Registers a module under `/tickstream/<chainId>/modules/<kind>/<id>` with its own lease (keep-alive is
 * the heartbeat) and delivers the commands of its own key and of its kind's broadcast key to
 * `onCommand`, one at a time, in order. Each (reorgId, step) runs once: a repeat is acknowledged again
 * without running; a command with a token lower than one seen is refused (FENCED) and reported in the
 * status. Acks go to `/acks/<reorgId>/<step>/<kind>/<id>`. A module that registers while a reorg runs
 * is suspended first. A lost lease is re-granted and the registration written again.
 *
 * @example
 * const handle = await registerModule(etcd, {
 *   chainId: 31337, kind: 'projector', id: 'p0',
 *   onCommand: async (cmd) => (cmd.step === 'rollback' ? rewindTo(cmd.targetBlock!) : undefined),
 * });
 * await handle.update({ block: 1234, lag: 2 });
 */
export async function registerModule(etcd: Etcd3, opts: RegisterModuleOptions): Promise<ModuleHandle> {
  assertModuleRef(opts.kind, opts.id);
  const client = new ModuleClient(etcd, opts);
  await client.start();
  return client;
}

class ModuleClient implements ModuleHandle {
  readonly key: string;
  readonly #etcd: Etcd3;
  readonly #opts: RegisterModuleOptions;
  readonly #keys;
  readonly #log: Logger;
  readonly #registration: Registration;
  readonly #memory: CommandMemory = { highestToken: 0, done: new Map() };
  readonly #queue: Command[] = [];
  readonly #watchers: Watcher[] = [];
  #draining = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #refused = 0;

  constructor(etcd: Etcd3, opts: RegisterModuleOptions) {
    this.#etcd = etcd;
    this.#opts = opts;
    this.#keys = keysFor(opts.chainId);
    this.key = this.#keys.module(opts.kind, opts.id);
    this.#log = opts.log ?? createLogger(`${opts.kind}-client`);
    const { initial } = opts;
    this.#registration = new Registration(
      etcd,
      this.key,
      opts.leaseTtlS ?? 3,
      {
        state: initial?.state ?? 'running',
        block: initial?.block ?? 0,
        ...(initial?.lag === undefined ? {} : { lag: initial.lag }),
        ...(initial?.detail === undefined ? {} : { detail: initial.detail }),
        heartbeatAt: new Date().toISOString(),
        lastToken: 0,
        lastReorgId: null,
      },
      this.#log,
    );
  }

  get status(): Readonly<ModuleStatus> {
    return this.#registration.status;
  }
  get highestToken(): number {
    return this.#memory.highestToken;
  }
  get refused(): number {
    return this.#refused;
  }

  async start(): Promise<void> {
    await this.#registration.start();
    const { kind, id } = this.#opts;
    const own = this.#keys.command(kind, id);
    const all = this.#keys.broadcast(kind);
    const snap = await readAll(this.#etcd, [{ key: this.#keys.current }, { key: own }, { key: all }]);
    const [current, ...commands] = snap!.results;
    const ctx = current?.[0] ? parseValue(reorgContextSchema, current[0].value) : undefined;
    if (ctx !== undefined && ctx.phase !== 'DONE') {
      const { leaderToken: token, reorgId, targetBlock, newBlockHash } = ctx;
      this.#queue.push({ token, reorgId, step: 'suspend', targetBlock, newBlockHash });
    }
    for (const e of commands.flat().sort((a, b) => a.modRevision - b.modRevision)) this.#enqueue(e.value);
    for (const key of [own, all]) {
      const w = await this.#etcd
        .watch()
        .key(key)
        .startRevision(String(snap!.revision + 1))
        .create();
      w.on('put', (kv) => this.#enqueue(kv.value.toString()));
      this.#watchers.push(w);
    }
    this.#drain();
  }

  update(patch: StatusPatch): Promise<void> {
    return this.#registration.write((s) => ({ ...s, ...patch }));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await Promise.all(this.#watchers.map((w) => w.cancel().catch(() => undefined)));
      await this.#registration.close();
    })();
    return this.#closing;
  }

  #enqueue(text: string): void {
    const command = parseValue(commandSchema, text);
    if (command === undefined) {
      this.#log.warn({ key: this.key, value: text.slice(0, 200) }, 'ignoring a malformed command');
      return;
    }
    this.#queue.push(command);
    this.#drain();
  }

  #drain(): void {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    void (async () => {
      try {
        for (
          let c = this.#queue.shift(), failures = 0;
          c !== undefined && !this.#closed;
          c = this.#queue.shift()
        ) {
          try {
            await this.#handle(c);
            failures = 0;
          } catch (err) {
            // etcd unreachable mid-command: keep the command first in line and try again shortly.
            this.#log.warn(
              { err: describeError(err), command: c, failures },
              'command handling failed; retrying',
            );
            this.#queue.unshift(c);
            await delay(Math.min(2_000, 100 * 2 ** failures++));
          }
        }
      } finally {
        this.#draining = false;
      }
    })();
  }

  async #handle(command: Command, attempt = 0): Promise<void> {
    const decision = decideCommand(this.#memory, command);
    if (decision.type === 'refuse') {
      this.#refused++;
      this.#log.warn(
        { code: 'FENCED', command, highestToken: this.#memory.highestToken },
        decision.error.message,
      );
      this.#opts.onRefused?.(decision.error, command);
      await this.update({ detail: `FENCED: ${decision.error.message}` });
      return;
    }
    this.#memory.highestToken = Math.max(this.#memory.highestToken, command.token);
    const { kind, id } = this.#opts;
    const ackKey = this.#keys.ack(command.reorgId, command.step, kind, id);
    let done = decision.type === 'repeat' ? decision.ack : undefined;
    if (done === undefined) {
      const stored = await this.#etcd.get(ackKey).string();
      const ack = stored === null ? undefined : parseValue(ackSchema, stored);
      if (ack?.ok) done = ack; // done before a restart of this module
    }
    if (done !== undefined) {
      this.#memory.done.set(stepKey(command), done);
      await this.#etcd.put(ackKey).value(JSON.stringify({ ...done, token: command.token, repeated: true }));
      await this.#registration.write((s) => ({ ...s, lastToken: this.#memory.highestToken }));
      return;
    }
    let ack: Ack;
    try {
      const result = await this.#opts.onCommand(command);
      ack = {
        ok: true,
        token: command.token,
        at: new Date().toISOString(),
        ...(result === undefined ? {} : { result }),
      };
    } catch (err) {
      const error = describeError(err);
      this.#log.error({ err: error, command, attempt }, 'command failed; will retry');
      await this.#etcd
        .put(ackKey)
        .value(JSON.stringify({ ok: false, token: command.token, at: new Date().toISOString(), error }));
      await this.update({ detail: `${command.step} ${command.reorgId} failed: ${error}` });
      await delay(Math.min(10_000, (this.#opts.retryMs ?? 500) * 2 ** attempt));
      if (!this.#closed) await this.#handle(command, attempt + 1);
      return;
    }
    this.#memory.done.set(stepKey(command), ack);
    await this.#etcd.put(ackKey).value(JSON.stringify(ack));
    await this.#registration.write(({ detail: _cleared, ...s }) => ({
      ...s,
      state: s.state === 'halted' ? 'halted' : stateAfter(command.step),
      lastToken: this.#memory.highestToken,
      lastReorgId: command.reorgId,
    }));
  }
}
