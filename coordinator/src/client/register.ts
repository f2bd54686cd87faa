import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, describeError, type Logger, type TickstreamError } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import { type Entry, readAll } from '../connect';
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
export type StatusPatch = Partial<Pick<ModuleStatus, 'state' | 'block' | 'lag' | 'detail' | 'partitions'>>;

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
  /**
   * Sets fields of the status (and refreshes `heartbeatAt`). Called from `onCommand`, the patch is
   * applied at once and written with the status that follows the step's ack: the ack does not wait
   * for a status write.
   */
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
 * is suspended first. A module that set `state: 'halted'` stays halted through the steps it runs until
 * the rollback of an operator's reorg (`liftsHalt`). A lost lease is re-granted and the registration
 * written again.
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
  /** True while `onCommand` runs: status patches then wait for the write that follows the ack. */
  #inCommand = false;
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
    const snap = await readAll(this.#etcd, [
      { prefix: this.#keys.acks },
      { key: this.#keys.current },
      { key: own },
      { key: all },
    ]);
    const [acks, current, ...commands] = snap!.results;
    this.#remember(acks ?? []);
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
    if (this.#inCommand) {
      this.#registration.patch((s) => ({ ...s, ...patch }));
      return Promise.resolve();
    }
    return this.#registration.write((s) => ({ ...s, ...patch }));
  }

  /**
   * Loads this module's acks found in etcd at start (steps done before a restart of the process), so
   * that a repeated step is recognised without a read per command. Acks of a reorg live until it is
   * DONE; after start, this process writes its own acks and remembers them.
   */
  #remember(entries: readonly Entry[]): void {
    const { kind, id } = this.#opts;
    for (const e of entries) {
      const [reorgId, step, k, i] = e.key.slice(this.#keys.acks.length).split('/');
      if (reorgId === undefined || step === undefined || k !== kind || i !== id) continue;
      const ack = parseValue(ackSchema, e.value);
      if (ack?.ok) this.#memory.done.set(`${reorgId}/${step}`, ack);
    }
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
    if (decision.type === 'repeat') {
      const done = decision.ack;
      await this.#etcd.put(ackKey).value(JSON.stringify({ ...done, token: command.token, repeated: true }));
      await this.#registration.write((s) => ({ ...s, lastToken: this.#memory.highestToken }));
      return;
    }
    let result: unknown;
    let failure: string | undefined;
    this.#inCommand = true;
    try {
      result = await this.#opts.onCommand(command);
    } catch (err) {
      failure = describeError(err);
    } finally {
      this.#inCommand = false;
    }
    if (failure !== undefined) {
      this.#log.error({ err: failure, command, attempt }, 'command failed; will retry');
      await this.#etcd
        .put(ackKey)
        .value(
          JSON.stringify({ ok: false, token: command.token, at: new Date().toISOString(), error: failure }),
        );
      await this.update({ detail: `${command.step} ${command.reorgId} failed: ${failure}` });
      await delay(Math.min(10_000, (this.#opts.retryMs ?? 500) * 2 ** attempt));
      if (!this.#closed) await this.#handle(command, attempt + 1);
      return;
    }
    const ack: Ack = {
      ok: true,
      token: command.token,
      at: new Date().toISOString(),
      ...(result === undefined ? {} : { result }),
    };
    this.#memory.done.set(stepKey(command), ack);
    await this.#etcd.put(ackKey).value(JSON.stringify(ack));
    await this.#registration.write(({ detail, ...s }) => {
      const state = stateAfter(s.state, command);
      // A step done clears the detail of an earlier failure; a halt keeps its reason.
      return {
        ...s,
        ...(state === 'halted' && detail !== undefined ? { detail } : {}),
        state,
        lastToken: this.#memory.highestToken,
        lastReorgId: command.reorgId,
      };
    });
  }
}
