/**
 * Finality and the operator: a reorg deeper than FINALITY_DEPTH halts ingest (never guesses) and shows
 * in `tickstream status --json`; `tickstream rollback --to N` recovers it; and a rollback by hand on a
 * healthy pipeline rewinds the projections to N (held there by `tickstream pause`), after which the
 * pipeline re-derives the same state as the chain.
 */
import { waitFor } from '@tickstream/deploy/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reorgChain } from './src/chain/reorg';
import { Cluster } from './src/harness/cluster';
import { measured, printLogsOnFailure } from './src/harness/vitest';
import { compareStateWithChain, snapshotRowsAbove } from './src/oracle';
import { type Parked, park } from './src/park';
import { backAtHead, stepTimes, verify } from './src/scenario';

const FINALITY = 8;
let cluster: Cluster;
printLogsOnFailure(() => cluster);

beforeAll(async () => {
  cluster = await Cluster.start({
    name: 'finality',
    finalityDepth: FINALITY,
    historyTx: 800,
    // Modules are frozen on purpose (SIGSTOP) in some tests: their registrations must outlive that.
    env: { MODULE_LEASE_TTL_S: '15' },
  });
  const { head, ms } = await cluster.waitCaughtUp();
  measured('catch-up', { head: head.number, ms: Math.round(ms), seed: cluster.seed });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('a reorg deeper than FINALITY_DEPTH', () => {
  let ancestor = 0;
  let orphaned: string[] = [];
  let snapshot: Awaited<ReturnType<typeof snapshotRowsAbove>>;

  it('halts ingest and shows in tickstream status --json', async () => {
    const depth = FINALITY + 4;
    await cluster.workload(depth * 6, 6, cluster.seed + 1);
    await cluster.waitCaughtUp();
    const before = await cluster.head();
    snapshot = await snapshotRowsAbove(cluster, before.number - depth);
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    const t0 = performance.now();
    const chain = await reorgChain(cluster.devnet, { depth, seed: 5 });
    ancestor = chain.ancestor.number;
    orphaned = chain.orphaned.map((b) => b.hash);

    const status = await waitFor(
      async () => {
        const s = await cluster.status();
        return s.halts.some((h) => h.kind === 'ingest') ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'tickstream status to show ingest halted', maxIntervalMs: 200 },
    );
    const haltMs = performance.now() - t0;
    const halt = status.halts.find((h) => h.kind === 'ingest')!;
    expect(halt.reason).toMatch(/^REORG_TOO_DEEP/);
    expect(status.modules.find((m) => m.kind === 'ingest')?.state).toBe('halted');
    // Never guesses: no reorg was started, nothing was rolled back, the ledger did not move on.
    expect(status.reorg).toBeNull();
    expect((await cluster.reorgHistory()).filter((c) => !known.has(c.reorgId))).toEqual([]);
    const human = await cluster.cli(['status']);
    expect(human.stdout).toMatch(/HALTED\s+ingest\//);
    measured('reorg deeper than finality', {
      depth,
      finalityDepth: FINALITY,
      haltMs: Math.round(haltMs),
      reason: halt.reason,
      block: halt.block,
    });
  });

  it('tickstream rollback --to <ancestor> recovers: the pipeline re-derives the new chain', async () => {
    expect(ancestor).toBeGreaterThan(0);
    // The rollback exists to recover the halted ingest: it must wait for ingest's steps. Freeze ingest
    // (its lease outlives the test here) and see whether the protocol waits for it or finishes without it.
    cluster.pause('ingest');
    const r = await cluster.cli(['rollback', '--to', String(ancestor), '--json', '--timeout', '30000']);
    expect(r.code, r.stderr || r.stdout).toBe(0);
    const { reorgId } = JSON.parse(r.stdout) as { reorgId: string };
    const seen = await waitFor(
      async () => {
        if ((await cluster.reorgHistory()).some((c) => c.reorgId === reorgId)) return 'DONE without ingest';
        const s = await cluster.status();
        return s.reorg?.reorgId === reorgId && s.reorg.waitingFor.includes('ingest/ingest-0')
          ? `waiting for ingest in ${s.reorg.phase} (${s.reorg.step})`
          : undefined;
      },
      { timeoutMs: 30_000, what: `rollback ${reorgId} to wait for ingest or finish`, maxIntervalMs: 50 },
    );
    cluster.resume('ingest');
    const done = await cluster.waitForDone(reorgId);
    const ingestRollback = done.steps.find((s) => s.step === 'rollback' && s.kind === 'ingest');
    const out = { reorgId, durationMs: done.durationMs ?? null };
    measured('operator rollback of a halted ingest', {
      reorgId,
      whileIngestFrozen: seen,
      rollbackIngestAcked: ingestRollback?.acked ?? [],
      steps: stepTimes(done),
    });
    // Soft: the recovery below is checked either way.
    expect.soft(seen).toMatch(/^waiting for ingest/);
    expect.soft(ingestRollback?.acked ?? []).toContain('ingest/ingest-0');
    const caught = await cluster.waitCaughtUp();
    const status = await cluster.status();
    expect(status.halts).toEqual([]);
    const v = await verify(cluster, { before: snapshot, hashes: orphaned });
    measured('operator rollback after a halt', {
      reorgId: out.reorgId,
      toBlock: ancestor,
      rollbackMs: out.durationMs,
      head: caught.head.number,
      toCaughtUpMs: Math.round(caught.ms),
    });
    expect(v.diffs).toEqual([]);
  });
});

describe('tickstream rollback --to N on a healthy pipeline', () => {
  it('rewinds the projections to N, then the pipeline re-derives the same state as the chain', async () => {
    await cluster.waitCaughtUp();
    const head = await cluster.head();
    const n = head.number - 6;
    // Hold the pipeline after the rollback: a reorg that runs while paused ends with pause sent again.
    const paused = await cluster.cli(['pause', '--json']);
    expect(paused.code, paused.stderr || paused.stdout).toBe(0);
    const t0 = performance.now();
    try {
      const r = await cluster.cli(['rollback', '--to', String(n), '--wait', '--json', '--timeout', '120000']);
      expect(r.code, r.stderr || r.stdout).toBe(0);
      const out = JSON.parse(r.stdout) as { reorgId: string; state: string; durationMs: number | null };
      expect(out.state).toBe('done');
      const done = await cluster.waitForDone(out.reorgId);
      expect(done.origin).toBe('operator');
      expect(done.targetBlock).toBe(n);

      // The projector rewound every partition to N (its own account of the rollback step).
      const rewound = cluster
        .logs('projector', /partitions rewound/, (l) => l.reorgId === out.reorgId)
        .at(-1);
      const parts = (rewound?.partitions ?? []) as { partition: string; block: number }[];
      expect(parts.map((p) => p.block)).toEqual(Array(cluster.partitions + 1).fill(n));

      // Once the pause sent again after DONE is applied, nothing moves: the api serves the block every
      // partition is held at (N, or a little past it: see the next test), equal to eth_call there.
      await waitFor(async () => (await cluster.modules()).every((m) => m.status.state === 'suspended'), {
        timeoutMs: 30_000,
        what: 'every module suspended again (the pause re-sent after the rollback)',
      });
      const cps = await cluster.checkpoints();
      const held = cps[0]!;
      expect(cps.every((c) => c.blockNumber === held.blockNumber && c.blockHash === held.blockHash)).toBe(
        true,
      );
      expect(held.blockHash).toBe(await cluster.hashAt(held.blockNumber));
      const atHeld = await compareStateWithChain(cluster, {
        number: held.blockNumber,
        hash: held.blockHash as `0x${string}`,
      });
      measured('operator rollback --to N under pause', {
        reorgId: out.reorgId,
        toBlock: n,
        rolledBackBlocks: head.number - n,
        rollbackMs: out.durationMs,
        steps: stepTimes(done),
        projectorRewindMs: rewound?.rollbackMs,
        heldAt: held.blockNumber,
      });
      expect(atHeld.diffs).toEqual([]);
    } finally {
      const resumed = await cluster.cli(['resume', '--json']);
      expect(resumed.code, resumed.stderr || resumed.stdout).toBe(0);
    }
    const caught = await backAtHead(cluster);
    expect(caught.head).toEqual(head);
    const v = await verify(cluster);
    measured('operator rollback --to N, back at the head', {
      toCaughtUpMs: Math.round(performance.now() - t0),
      head: caught.head.number,
    });
    // (verify also checks that no row of a canonical block was left marked orphaned by the rewind)
    expect(v.diffs).toEqual([]);
  });
});

describe('tickstream rollback --to N on an idle chain', () => {
  it('the pipeline returns to the head without waiting for a new block', async () => {
    // One new block (lets a pipeline a previous test left behind catch up), then no traffic: the head
    // does not move, and ingest is idle at the head when the rollback comes.
    await cluster.rpc.request('evm_mine', []);
    await cluster.waitCaughtUp();
    const head = await cluster.head();
    const n = head.number - 3;
    const r = await cluster.cli(['rollback', '--to', String(n), '--wait', '--json', '--timeout', '120000']);
    expect(r.code, r.stderr || r.stdout).toBe(0);
    const out = JSON.parse(r.stdout) as { reorgId: string; durationMs: number | null };
    const t0 = performance.now();
    const caught = await backAtHead(cluster);
    measured('operator rollback on an idle chain', {
      reorgId: out.reorgId,
      toBlock: n,
      rollbackMs: out.durationMs,
      backAtHeadMs: Math.round(performance.now() - t0),
    });
    expect(caught.head).toEqual(head);
    const v = await verify(cluster);
    expect(v.diffs).toEqual([]);
  });
});

describe('an operator pause across a rollback', () => {
  it('modules restored while the pause holds do not run: ingest appends nothing past N', async () => {
    await cluster.waitCaughtUp();
    const head = await cluster.head();
    const n = head.number - 4;
    const paused = await cluster.cli(['pause', '--json']);
    expect(paused.code, paused.stderr || paused.stdout).toBe(0);
    let parked: Parked | undefined;
    try {
      // Park the rollback in RESTORING: its last step (pause, under the operator's pause) went to every
      // module, one has not acknowledged it yet.
      parked = await park(cluster, 'RESTORING', async () => {
        const r = await cluster.cli(['rollback', '--to', String(n), '--json', '--timeout', '30000']);
        expect(r.code, r.stderr || r.stdout).toBe(0);
      });
      // Ingest has acknowledged. With the pause in force it must stay put; give it the time to append
      // the few blocks up to the head if it does not (it appends a block in milliseconds).
      const tail = await waitFor(
        async () => {
          const t = await ledgerTailBlock(cluster);
          return t !== null && t > n ? t : undefined;
        },
        { timeoutMs: 3_000, what: 'ingest to append past N' },
      ).catch(() => n);
      measured('pause across a rollback', {
        toBlock: n,
        parkedOn: parked.waitingOn,
        ledgerTailWhilePaused: tail,
      });
      expect(tail, 'ingest appended blocks past N while the operator pause held').toBe(n);
    } finally {
      if (parked !== undefined) cluster.resume(parked.stopped);
      const resumed = await cluster.cli(['resume', '--json']);
      expect(resumed.code, resumed.stderr || resumed.stdout).toBe(0);
    }
    await backAtHead(cluster);
    const v = await verify(cluster);
    expect(v.diffs).toEqual([]);
  });
});

/** The block of the ledger's last entry (a rollback entry counts as its toBlock). */
async function ledgerTailBlock(c: Cluster): Promise<number | null> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const { decodeEntry, entryBlock } = await import('@tickstream/shared');
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(c.stream);
    if (info.state.messages === 0) return null;
    const msg = await jsm.streams.getMessage(c.stream, { seq: info.state.last_seq });
    return entryBlock(decodeEntry(msg!.data));
  } finally {
    await nc.close();
  }
}
