import { isTickstreamError } from '@tickstream/shared';
import { describe, expect, test } from 'vitest';
import type { Ack, Command } from '../layout';
import { type CommandMemory, decideCommand, liftsHalt, stateAfter, stepKey } from './decide';

const cmd = (token: number, reorgId = 'r1', step: Command['step'] = 'suspend'): Command => ({
  token,
  reorgId,
  step,
});
const ack: Ack = { ok: true, token: 9, at: '2025-01-01T00:00:00Z', result: { rewoundTo: 100 } };

describe('decideCommand', () => {
  test('default: a new (reorgId, step) runs', () => {
    expect(decideCommand({ highestToken: 0, done: new Map() }, cmd(9))).toEqual({ type: 'run' });
  });

  test('error: a token lower than one seen is refused as FENCED, even for a step already done', () => {
    const memory: CommandMemory = { highestToken: 9, done: new Map([[stepKey(cmd(9)), ack]]) };
    for (const c of [cmd(5), cmd(8, 'r2', 'rollback')]) {
      const d = decideCommand(memory, c);
      expect(d.type).toBe('refuse');
      if (d.type !== 'refuse') return;
      expect(isTickstreamError(d.error, 'FENCED')).toBe(true);
      expect(d.error.message).toContain(`token ${c.token} is lower than 9`);
    }
  });

  test('behavior: a repeated (reorgId, step) is acknowledged again with the first result, at any token >= highest', () => {
    const memory: CommandMemory = { highestToken: 9, done: new Map([[stepKey(cmd(9)), ack]]) };
    expect(decideCommand(memory, cmd(9))).toEqual({ type: 'repeat', ack });
    expect(decideCommand(memory, cmd(12))).toEqual({ type: 'repeat', ack }); // a new leader repeating the step
  });

  test('behavior: the same step of another reorg, or another step, runs', () => {
    const memory: CommandMemory = { highestToken: 9, done: new Map([[stepKey(cmd(9)), ack]]) };
    expect(decideCommand(memory, cmd(9, 'r2'))).toEqual({ type: 'run' });
    expect(decideCommand(memory, cmd(9, 'r1', 'rollback'))).toEqual({ type: 'run' });
  });
});

describe('stateAfter', () => {
  test.each([
    ['suspend', 'suspended'],
    ['rollback', 'suspended'],
    ['pause', 'suspended'],
    ['restore', 'running'],
    ['resume', 'running'],
  ] as const)('%s leaves the module %s', (step, state) => {
    expect(stateAfter('running', { reorgId: 'r1', step })).toBe(state);
    expect(stateAfter('suspended', { reorgId: 'op-rollback-9', step })).toBe(state);
  });

  test.each(['suspend', 'rollback', 'restore', 'pause'] as const)(
    'behavior: a halt holds through %s of a reported reorg',
    (step) => {
      expect(stateAfter('halted', { reorgId: 'r-105-0xab12', step })).toBe('halted');
    },
  );

  test('behavior: a halt holds through an operator pause and resume', () => {
    expect(stateAfter('halted', { reorgId: 'op-pause-12', step: 'pause' })).toBe('halted');
    expect(stateAfter('halted', { reorgId: 'op-resume-13', step: 'resume' })).toBe('halted');
  });

  test("behavior: an operator's rollback lifts a halt; the restore after it runs the module", () => {
    expect(liftsHalt({ reorgId: 'op-rollback-9', step: 'rollback' })).toBe(true);
    expect(liftsHalt({ reorgId: 'op-rollback-9', step: 'suspend' })).toBe(false);
    expect(liftsHalt({ reorgId: 'r-105-0xab12', step: 'rollback' })).toBe(false);
    const afterRollback = stateAfter('halted', { reorgId: 'op-rollback-9', step: 'rollback' });
    expect(afterRollback).toBe('suspended');
    expect(stateAfter(afterRollback, { reorgId: 'op-rollback-9', step: 'restore' })).toBe('running');
  });
});
