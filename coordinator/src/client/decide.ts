import { TickstreamError } from '@tickstream/shared';
import type { Ack, Command, ModuleState, Step } from '../layout';

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

/** The state a module is in once it has done `step`. */
export function stateAfter(step: Step): ModuleState {
  return step === 'restore' || step === 'resume' ? 'running' : 'suspended';
}
