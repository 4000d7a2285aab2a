import assert from 'node:assert/strict';
import {
  createEngine,
  JOB_LEASE_MS,
  openDatabase,
  startJobWorker,
  type Engine,
  type Principal,
  type ServiceContext,
} from '../../../src/index.ts';
import { onServer, TEST_SETTINGS, type TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

/** A handler the scenario steers: every call is kept, and the next one can be held until released. */
function steeredHandler(variables: Record<string, unknown>) {
  const calls: ServiceContext[] = [];
  let held: Promise<void> | null = null;
  let onCall: (context: ServiceContext) => void = () => {};
  return {
    calls,
    handler: async (context: ServiceContext) => {
      calls.push(context);
      onCall(context);
      const waitFor = held;
      held = null;
      await waitFor;
      return { variables };
    },
    /** Resolves with the context of the next call. */
    nextCall(): Promise<ServiceContext> {
      return new Promise((resolve) => (onCall = resolve));
    },
    /** The next call waits until `release()`. */
    holdNext(): { called: Promise<ServiceContext>; release: () => void } {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return { called: this.nextCall(), release };
    },
  };
}

/**
 * A job worker that would look for due jobs once an hour: whatever it runs sooner it was woken
 * for. `ran(n)` resolves once it has run n jobs in all.
 */
async function wokenWorker(engine: Engine) {
  let total = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const failures: unknown[] = [];
  const worker = await startJobWorker(engine.jobs, {
    intervalMs: 3_600_000,
    onRound: (n) => {
      total += n;
      for (const w of waiters.filter((w) => total >= w.n)) w.resolve();
    },
    onError: (error) => failures.push(error),
  });
  return {
    failures,
    ran: (n: number) =>
      new Promise<void>((resolve) => (total >= n ? resolve() : waiters.push({ n, resolve }))),
    stop: () => worker.stop(),
  };
}

describe('Feature: a job’s handler runs outside any transaction, under a lease', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  const scale = steeredHandler({ weight: 10 });
  const erp = steeredHandler({ posted: true });
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      ['scale-service.bpmn', 'erp-posting.bpmn', 'call-label-check.bpmn'],
      (ctx) => {
        ctx.engine.processes.handlers.register('scale.read', scale.handler);
        ctx.engine.processes.handlers.register('erp.post', erp.handler);
      },
    ));
  });
  after(() => ctx.close());

  const serviceEvents = async (instanceId: string) =>
    (await ctx.engine.processes.history(quinn, instanceId)).filter((e) => e.type === 'service.completed');

  it('Scenario: while a handler waits, the database is free: another instance starts and is read', async () => {
    const { called, release } = scale.holdNext();
    const first = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    const running = ctx.engine.jobs.runDue();
    assert.equal((await called).instanceId, first.id);
    // The handler holds neither a transaction nor the embedded database's only connection.
    const second = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    const waiting = await ctx.engine.processes.get(quinn, first.id);
    assert.deepEqual(waiting.activeElements, [{ elementId: 'read', waitsFor: 'job' }]);
    release();
    assert.equal(await running, 2, 'the job made meanwhile runs in the same round');
    for (const { id } of [first, second]) {
      const done = await ctx.engine.processes.get(quinn, id);
      assert.equal(done.status, 'completed');
      assert.equal(done.variables.weight, 10);
    }
  });

  it('Scenario: a lease that runs out: the job is taken again with the same idempotency key, the late result refused', async () => {
    const { called, release } = scale.holdNext();
    const started = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    const first = ctx.engine.jobs.runDue();
    const firstCall = await called;
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'while the lease holds nobody else takes the job');
    ctx.clock.advance(JOB_LEASE_MS / 60_000 + 1);
    const again = scale.nextCall();
    assert.equal(await ctx.engine.jobs.runDue(), 1, 'the lease ran out: the job is taken again');
    const secondCall = await again;
    assert.equal(secondCall.instanceId, started.id);
    assert.equal(secondCall.idempotencyKey, firstCall.idempotencyKey);
    assert.equal(secondCall.attempt, firstCall.attempt, 'a lost lease is no failed attempt');
    release();
    assert.equal(await first, 0, 'the first holder’s result comes after its lease: refused');
    const completed = await serviceEvents(started.id);
    assert.equal(completed.length, 1, 'the instance moved once');
    assert.equal(completed[0]!.payload.jobId, firstCall.idempotencyKey, 'the key is the job’s id');
    assert.equal((await ctx.engine.processes.get(quinn, started.id)).status, 'completed');
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: the token moves on while the handler runs: its result is dropped', async () => {
    const { called, release } = erp.holdNext();
    const started = await ctx.engine.processes.start(olivia, 'erpPosting');
    const running = ctx.engine.jobs.runDue();
    await called;
    ctx.clock.advance(3);
    assert.equal(await ctx.engine.jobs.runDue(), 1, 'the boundary timer fires while the ERP is slow');
    release();
    assert.equal(await running, 0, 'the posting’s result comes after the token left: dropped');
    const instance = await ctx.engine.processes.get(quinn, started.id);
    assert.equal(instance.variables.posted, undefined);
    assert.deepEqual(await serviceEvents(started.id), []);
    taskAt(instance, 'chase');
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: a commit that schedules a job wakes the workers; the job runs without waiting for the poll', async () => {
    let woken!: () => void;
    const wakeUp = new Promise<void>((resolve) => (woken = resolve));
    const stopListening = await ctx.engine.jobs.onDue(() => woken());
    const first = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    await wakeUp;
    await stopListening();
    const worker = await wokenWorker(ctx.engine);
    try {
      const second = await ctx.engine.processes.start(olivia, 'scaleWeighing');
      await worker.ran(2);
      assert.deepEqual(worker.failures, []);
      for (const { id } of [first, second])
        assert.equal((await ctx.engine.processes.get(quinn, id)).status, 'completed');
    } finally {
      await worker.stop();
    }
  });

  it('Scenario: a call activity starts its process, and goes on when it ends, each on the commit before', async () => {
    const worker = await wokenWorker(ctx.engine);
    try {
      const parent = await ctx.engine.processes.start(olivia, 'packWithLabelCheck');
      await worker.ran(1);
      const started = (await ctx.engine.processes.history(quinn, parent.id)).find(
        (e) => e.type === 'call.started',
      );
      const child = await ctx.engine.processes.get(quinn, started!.payload.childInstanceId as string);
      await ctx.engine.tasks.complete(olivia, taskAt(child, 'compare'));
      await worker.ran(2);
      assert.deepEqual(worker.failures, []);
      taskAt(await ctx.engine.processes.get(quinn, parent.id), 'pack');
    } finally {
      await worker.stop();
    }
  });
});

describe('Feature: job workers on a PostgreSQL server', () => {
  it('Scenario: each job is run by one of them, once, and a commit in one wakes the other', async function () {
    if (!onServer()) this.skip();
    const scale = steeredHandler({ weight: 10 });
    const { ctx, olivia, quinn } = await scenarioEngine(['olivia', 'quinn'], ['scale-service.bpmn'], (ctx) =>
      ctx.engine.processes.handlers.register('scale.read', scale.handler),
    );
    const second = createEngine({
      database: await openDatabase({ ...ctx.options, migrate: false }),
      settings: TEST_SETTINGS,
      clock: ctx.clock,
    });
    second.processes.handlers.register('scale.read', scale.handler);
    try {
      let woken!: () => void;
      const wakeUp = new Promise<void>((resolve) => (woken = resolve));
      const stopListening = await second.jobs.onDue(() => woken());
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await ctx.engine.processes.start(olivia, 'scaleWeighing')).id);
      await wakeUp;
      await stopListening();
      const [a, b] = await Promise.all([ctx.engine.jobs.runDue(), second.jobs.runDue()]);
      assert.equal(a + b, 12);
      assert.deepEqual(scale.calls.map((c) => c.instanceId).sort(), [...ids].sort(), 'one call per job');
      for (const id of ids) {
        assert.equal((await ctx.engine.processes.get(quinn, id)).status, 'completed');
        const completed = (await ctx.engine.processes.history(quinn, id)).filter(
          (e) => e.type === 'service.completed',
        );
        assert.equal(completed.length, 1);
      }
      assert.equal((await ctx.engine.verify()).ok, true);
    } finally {
      await second.close();
      await ctx.close();
    }
  });

  it('Scenario: a listening connection that is cut is opened again, and the worker looks for what it missed', async function () {
    if (!onServer()) this.skip();
    const { ctx, olivia } = await scenarioEngine(['olivia'], ['scale-service.bpmn'], (ctx) =>
      ctx.engine.processes.handlers.register('scale.read', steeredHandler({ weight: 10 }).handler),
    );
    let notified: () => void = () => {};
    const stopListening = await ctx.engine.jobs.onDue(() => notified());
    try {
      const listening = async () =>
        (
          await ctx.asOwner((db) =>
            db.raw(
              `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN attest_jobs'`,
            ),
          )
        ).rows as { pid: number }[];
      const [before] = await listening();
      const reopened = new Promise<void>((resolve) => (notified = resolve));
      await ctx.asOwner((db) => db.raw('SELECT pg_terminate_backend(?)', [before!.pid]));
      await reopened;
      const [after] = await listening();
      assert.notEqual(after!.pid, before!.pid);
      const woken = new Promise<void>((resolve) => (notified = resolve));
      await ctx.engine.processes.start(olivia, 'scaleWeighing');
      await woken;
    } finally {
      await stopListening();
      await ctx.close();
    }
  });
});
