import {
  type Command,
  clearHalt,
  connectEtcd,
  liftsHalt,
  type ModuleHandle,
  registerModule,
  reportHalt,
  reportReorg,
} from '@tickstream/coordinator/client';
import { TickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import type { IngestDeps, IngestState } from '../service/deps';
import { Gate } from './gate';
import { rollbackTo } from './rollback';
import { WatchRequests } from './watches';

/**
 * Ingest's side of the control plane: registered in etcd under a lease, it runs the coordinator's
 * fenced commands (suspend, rollback, restore; pause, resume) against the loop through a `Gate`,
 * reports reorgs and halts.
 */
export class IngestControl {
  readonly gate = new Gate();
  #state: IngestState | null = null;
  #handle: ModuleHandle | null = null;
  #lastUpdate = 0;
  #halted = false;
  /** The operators' watch list (`tickstream watch add`). */
  watches: WatchRequests | null = null;

  private constructor(
    private readonly deps: IngestDeps,
    private readonly etcd: Etcd3,
    readonly id: string,
  ) {}

  /** Registers with the coordinator, or returns null when CONTROL_PLANE is 'none'. */
  static async start(deps: IngestDeps): Promise<IngestControl | null> {
    if (deps.cfg.CONTROL_PLANE === 'none') return null;
    const etcd = connectEtcd(deps.cfg.ETCD_URL);
    const control = new IngestControl(deps, etcd, deps.cfg.MODULE_ID ?? `ingest-${process.pid}`);
    control.#handle = await registerModule(etcd, {
      chainId: deps.cfg.CHAIN_ID,
      kind: 'ingest',
      id: control.id,
      leaseTtlS: deps.cfg.MODULE_LEASE_TTL_S,
      onCommand: (cmd) => control.#onCommand(cmd),
      onRefused: (err) => deps.log.warn({ err: err.message }, 'refused a command from a deposed leader'),
      log: deps.log,
    });
    deps.log.info({ module: control.#handle.key }, 'registered with the coordinator');
    control.watches = await WatchRequests.start(etcd, deps.cfg.CHAIN_ID, deps.log);
    return control;
  }

  /** The loop's state after each (re)start from the ledger. */
  attach(state: IngestState): void {
    this.#state = state;
  }

  /** Publishes progress at most once a second. */
  progress(block: number): void {
    const now = Date.now();
    if (now - this.#lastUpdate < 1_000 || this.#handle === null) return;
    this.#lastUpdate = now;
    void this.#handle.update({ block }).catch(() => {});
  }

  /** Stops the loop and reports the reorg; the coordinator's restore lets the loop go on. */
  async reportReorg(
    reorgId: string,
    targetBlock: number,
    newHead: { number: number; hash: string },
  ): Promise<void> {
    void this.gate.suspend();
    await this.#handle?.update({
      state: 'suspended',
      detail: `reorg ${reorgId} reported, waiting for the coordinator`,
    });
    const { accepted } = await reportReorg(this.etcd, {
      chainId: this.deps.cfg.CHAIN_ID,
      reorgId,
      targetBlock,
      newHead,
      reporter: `ingest/${this.id}`,
    });
    this.deps.log.warn({ reorgId, targetBlock, newHead, accepted }, 'reorg reported to the coordinator');
  }

  /** Halts for an operator (a reorg deeper than finality): never guesses. `rollback --to N` recovers. */
  async halt(err: TickstreamError, block: number): Promise<void> {
    this.#halted = true;
    void this.gate.suspend();
    this.deps.log.fatal({ code: err.code, block, alert: true }, `ingest halted: ${err.message}`);
    await this.#handle?.update({ state: 'halted', detail: `${err.code}: ${err.message}` });
    await reportHalt(this.etcd, {
      chainId: this.deps.cfg.CHAIN_ID,
      kind: 'ingest',
      id: this.id,
      reason: `${err.code}: ${err.message}`,
      block,
    });
  }

  async close(): Promise<void> {
    await this.watches?.close();
    await this.#handle?.close().catch(() => {});
    this.etcd.close();
  }

  async #onCommand(cmd: Command): Promise<unknown> {
    const state = this.#state;
    switch (cmd.step) {
      case 'suspend':
      case 'pause':
        await this.gate.suspend();
        if (!this.#halted) await this.#handle?.update({ state: 'suspended' });
        return { block: state === null ? null : state.next - 1 };
      case 'rollback': {
        if (cmd.targetBlock === undefined)
          throw new TickstreamError('INTERNAL', `rollback ${cmd.reorgId} without targetBlock`);
        if (state === null) throw new TickstreamError('NOT_READY', 'ingest has not started yet');
        await this.gate.suspend();
        const seq = await rollbackTo(this.deps, state, cmd.targetBlock, cmd.reorgId);
        // The operator's rollback is the answer to a halt: from its block on, ingest goes on with the rest.
        if (this.#halted && liftsHalt(cmd)) {
          this.#halted = false;
          await clearHalt(this.etcd, { chainId: this.deps.cfg.CHAIN_ID, kind: 'ingest', id: this.id });
        }
        return { toBlock: cmd.targetBlock, streamSeq: seq };
      }
      case 'restore':
      case 'resume':
        // A halt holds through restore and resume until an operator's rollback lifts it (never guesses).
        if (this.#halted) return { from: null, halted: true };
        this.gate.resume();
        await this.#handle?.update({ state: 'running', detail: '' });
        return { from: state === null ? null : state.next };
    }
  }
}
