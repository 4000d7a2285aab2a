import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: the hard cases of token semantics', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ({ ctx, olivia, quinn, petra } = await scenarioEngine(
      ['olivia', 'quinn', 'petra'],
      [
        'inclusive-after-boundary.bpmn',
        'hold-interrupts-parallel.bpmn',
        'sampling-mi.bpmn',
        'lab-check.bpmn',
      ],
    ));
  });
  after(() => ctx.close());

  const open = async (id: string) =>
    (await ctx.engine.processes.get(quinn, id)).openTasks.map((t) => t.elementId).sort();

  describe('Inclusive join after a non-interrupting boundary event', () => {
    it('Scenario: the boundary never fired; the join goes on with the one token that can arrive', async () => {
      // Given a weighing with a recheck timer
      const started = await ctx.engine.processes.start(olivia, 'inclusiveAfterBoundary');
      // When the weighing is done before the timer
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'weigh'));
      // Then the join does not wait for the recheck that can no longer come
      assert.deepEqual(
        done.openTasks.map((t) => t.elementId),
        ['review'],
      );
      ctx.clock.advance(120);
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'the timer ended with its activity');
    });

    it('Scenario: the boundary fired; the join waits for the recheck as well, and goes on once', async () => {
      const started = await ctx.engine.processes.start(olivia, 'inclusiveAfterBoundary');
      // When the hour passes, a recheck runs beside the weighing
      ctx.clock.advance(61);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      assert.deepEqual(await open(started.id), ['recheck', 'weigh']);
      // When the weighing is done, then the join still waits for the recheck
      const afterWeigh = await ctx.engine.tasks.complete(olivia, taskAt(started, 'weigh'));
      assert.deepEqual(
        afterWeigh.openTasks.map((t) => t.elementId),
        ['recheck'],
      );
      assert.deepEqual(afterWeigh.activeElements.map((e) => e.elementId).sort(), ['join', 'recheck']);
      // When the recheck is done, then review opens exactly once
      const afterRecheck = await ctx.engine.tasks.complete(olivia, taskAt(afterWeigh, 'recheck'));
      assert.deepEqual(
        afterRecheck.openTasks.map((t) => t.elementId),
        ['review'],
      );
      const done = await ctx.engine.tasks.complete(quinn, taskAt(afterRecheck, 'review'));
      assert.equal(done.status, 'completed');
    });
  });

  describe('Event sub-process interrupting a parallel region', () => {
    it('Scenario: a batch hold cancels both branches and opens the investigation', async () => {
      // Given a line clearance with both branches open
      const started = await ctx.engine.processes.start(olivia, 'holdInterruptsParallel');
      assert.deepEqual(await open(started.id), ['clean', 'label']);
      const clean = taskAt(started, 'clean');
      // When the batch is put on hold
      const signalled = await ctx.engine.processes.signals.broadcast(quinn, { name: 'batchHold' });
      assert.deepEqual(signalled, { triggered: 1, started: 0 });
      // Then both branches are cancelled and only the investigation is open
      assert.deepEqual(await open(started.id), ['investigate']);
      await assert.rejects(ctx.engine.tasks.complete(olivia, clean), /cancelled already/);
      // When the investigation is done, the instance completes (the interrupted scope is gone)
      const instance = await ctx.engine.processes.get(quinn, started.id);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(instance, 'investigate'));
      assert.equal(done.status, 'completed');
      assert.equal((await ctx.engine.verify()).ok, true);
    });

    it('Scenario: a hold after the instance ended reaches nobody', async () => {
      const started = await ctx.engine.processes.start(olivia, 'holdInterruptsParallel');
      const one = await ctx.engine.tasks.complete(olivia, taskAt(started, 'clean'));
      const done = await ctx.engine.tasks.complete(olivia, taskAt(one, 'label'));
      assert.equal(done.status, 'completed');
      const history = await ctx.engine.processes.history(quinn, started.id);
      assert.ok(history.some((e) => e.type === 'signal.subscribed'));
      const signalled = await ctx.engine.processes.signals.broadcast(quinn, { name: 'batchHold' });
      assert.equal(signalled.triggered, 0);
    });
  });

  describe('Parallel multi-instance with a completion condition', () => {
    it('Scenario: two of three samples suffice; the third is cancelled and results keep item order', async () => {
      // Given three containers to sample
      const started = await ctx.engine.processes.start(olivia, 'samplingMi', {
        variables: { containers: ['C1', 'C2', 'C3'] },
      });
      // Then three sampling tasks are open at once, created in item order
      const tasks = (await ctx.engine.processes.history(quinn, started.id))
        .filter((e) => e.type === 'task.created' && e.payload.elementId === 'sample')
        .map((e) => ({ id: e.payload.taskId as string }));
      assert.equal(tasks.length, 3);
      assert.equal((await ctx.engine.tasks.list(olivia, { instanceId: started.id })).length, 3);
      // When the third and then the first are done
      await ctx.engine.tasks.complete(olivia, tasks[2]!.id, { variables: { assay: 99.1 } });
      const after = await ctx.engine.tasks.complete(olivia, tasks[0]!.id, { variables: { assay: 98.7 } });
      // Then the condition holds: the second is cancelled and the results are in item order
      assert.deepEqual(
        after.openTasks.map((t) => t.elementId),
        ['review'],
      );
      assert.deepEqual(after.variables.results, [98.7, null, 99.1]);
      assert.equal(after.variables.container, undefined, 'the item variable stays in its inner instance');
      await assert.rejects(ctx.engine.tasks.complete(olivia, tasks[1]!.id), /cancelled already/);
      const types = (await ctx.engine.processes.history(quinn, started.id)).map((e) => e.type);
      assert.equal(types.filter((t) => t === 'multiInstance.completed').length, 1);
    });

    it('Scenario: an empty collection passes the activity at once with no results', async () => {
      const started = await ctx.engine.processes.start(olivia, 'samplingMi', {
        variables: { containers: [] },
      });
      assert.deepEqual(
        started.openTasks.map((t) => t.elementId),
        ['review'],
      );
      assert.deepEqual(started.variables.results, []);
    });

    it('Scenario: a collection that is not a list is an incident, retried after correction', async () => {
      const started = await ctx.engine.processes.start(olivia, 'samplingMi', {
        variables: { containers: 'C1' },
      });
      assert.equal(started.status, 'incident');
      const retried = await ctx.engine.incidents.retry(quinn, started.incidents[0]!.id, {
        reason: 'Corrected after the incident',
        variables: { containers: ['C1'] },
      });
      assert.deepEqual(
        retried.openTasks.map((t) => t.elementId),
        ['sample'],
      );
    });
  });

  describe('Call activity with an error caught on its boundary', () => {
    const called = async (parentId: string) => {
      await ctx.engine.jobs.runDue();
      const parent = await ctx.engine.processes.get(quinn, parentId);
      const call = parent.activeElements.find((e) => e.elementId === 'check');
      assert.equal(call?.waitsFor, 'call');
      const history = await ctx.engine.processes.history(quinn, parentId);
      const childId = history.find((e) => e.type === 'call.started')!.payload.childInstanceId as string;
      return ctx.engine.processes.get(quinn, childId);
    };

    it('Scenario: the lab check passes; its variables come back and the caller goes on', async () => {
      const started = await ctx.engine.processes.start(olivia, 'releaseWithLabCheck', {
        businessKey: 'B-100',
      });
      const child = await called(started.id);
      assert.equal(child.key, 'labCheck');
      assert.equal(child.businessKey, 'B-100');
      assert.equal(child.parentInstanceId, started.id);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(child, 'measure'), {
        variables: { assay: 99.5 },
      });
      assert.equal(done.status, 'completed');
      await ctx.engine.jobs.runDue();
      const parent = await ctx.engine.processes.get(quinn, started.id);
      assert.deepEqual(
        parent.openTasks.map((t) => t.elementId),
        ['release'],
      );
      assert.equal(parent.variables.assay, 99.5);
      await ctx.engine.tasks.complete(petra, taskAt(parent, 'release'));
    });

    it('Scenario: the lab check ends with OOS; the caller catches the error on the call activity', async () => {
      const started = await ctx.engine.processes.start(olivia, 'releaseWithLabCheck', {
        businessKey: 'B-101',
      });
      const child = await called(started.id);
      const ended = await ctx.engine.tasks.complete(olivia, taskAt(child, 'measure'), {
        variables: { assay: 90 },
      });
      assert.equal(ended.status, 'terminated');
      await ctx.engine.jobs.runDue();
      const parent = await ctx.engine.processes.get(quinn, started.id);
      assert.deepEqual(
        parent.openTasks.map((t) => t.elementId),
        ['investigate'],
      );
      const types = (await ctx.engine.processes.history(quinn, started.id)).map((e) => e.type);
      assert.ok(types.includes('call.failed') && types.includes('error.caught'));
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });
});
