import { TickstreamError } from '@tickstream/shared';
import type { Ack, Command, ModuleState } from '../layout';
import { isOperatorReorg } from '../protocol/intake';

/** What a module remembers about commands: the highest fencing token seen, and the steps it did. */
export interface CommandMemory {
  highestToken: number;
  /** Acks of the steps done, by `reorgId/step`. */
  readonly done: Map<string, Ack>;
}

export type CommandDecision =
  /** A token lower than one already seen: an old leader's command. Not run, not acked. */
  | { readonly type: 'refuse'; readonly error: TickstreamError }
  /** This (reorgId, step) was done already: acknowledge again with the same result, do nothing. */
  | { readonly type: 'repeat'; readonly ack: Ack }
  | { readonly type: 'run' };

/** The idempotency key of a command. */
export function stepKey(c: Pick<Command, 'reorgId' | 'step'>): string {
  return `${c.reorgId}/${c.step}`;
}

/**
 * Decides what a module does with a command (pure; the caller then raises `highestToken`).
 *
 * @example
 * decideCommand({ highestToken: 9, done: new Map() }, { token: 5, reorgId: 'r1', step: 'suspend' });
 * // { type: 'refuse', error: TickstreamError FENCED }
 */
export function decideCommand(memory: Readonly<CommandMemory>, command: Command): CommandDecision {
  if (command.token < memory.highestToken) {
    return {
      type: 'refuse',
      error: new TickstreamError(
        'FENCED',
        `refused ${command.step} of ${command.reorgId}: token ${command.token} is lower than ${memory.highestToken}, already seen (a deposed leader's command)`,
        { details: { command, highestToken: memory.highestToken } },
      ),
    };
  }
  const ack = memory.done.get(stepKey(command));
  return ack === undefined ? { type: 'run' } : { type: 'repeat', ack };
}

/**
 * True for the step that lifts a module's halt: the rollback of an operator's reorg (the operator's
 * answer to a halt; the module is then back at the operator's block and goes on with the others).
 *
 * @example
 * liftsHalt({ reorgId: 'op-rollback-9', step: 'rollback' }); // true
 * liftsHalt({ reorgId: 'op-resume-12', step: 'resume' }); // false: a resume does not undo a halt
 */
export function liftsHalt(c: Pick<Command, 'reorgId' | 'step'>): boolean {
  return c.step === 'rollback' && isOperatorReorg(c.reorgId);
}

/**
 * The state a module is in once it has done `command`, from `state`: a halt holds until an operator's
 * rollback lifts it; otherwise restore and resume leave it running, the other steps suspended.
 *
 * @example
 * stateAfter('halted', { reorgId: 'r-105-0xab12', step: 'restore' }); // 'halted'
 * stateAfter('halted', { reorgId: 'op-rollback-9', step: 'rollback' }); // 'suspended'
 */
export function stateAfter(state: ModuleState, command: Pick<Command, 'reorgId' | 'step'>): ModuleState {
  if (state === 'halted' && !liftsHalt(command)) return 'halted';
  return command.step === 'restore' || command.step === 'resume' ? 'running' : 'suspended';
}
