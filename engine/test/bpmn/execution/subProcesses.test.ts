import assert from 'node:assert/strict';
import { NotFoundError, type Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: embedded sub-processes, event sub-processes and errors', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      [
        'subprocess-weighing.bpmn',
        'subprocess-terminate.bpmn',
        'subprocess-errors.bpmn',
        'subprocess-comments.bpmn',
      ],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const types = async (id: string) => (await ctx.engine.processes.history(quinn, id)).map((e) => e.type);
  const count = (list: string[], type: string) => list.filter((t) => t === type).length;

  describe('Embedded sub-process', () => {
    it('Scenario: the sub-process runs its tasks in order, completes, and the flow goes on after it', async () => {
      // Given a dispensing whose booth is prepared
      const started = await ctx.engine.processes.start(olivia, 'weighingStep');
      const prepared = await ctx.engine.tasks.complete(olivia, taskAt(started, 'prepare'));
      // Then the sub-process holds the token and its first task is open
      assert.deepEqual(
        prepared.openTasks.map((t) => t.elementId),
        ['tare'],
      );
      assert.deepEqual(prepared.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'tare:task',
        'tooLong:timer',
        'weighing:scope',
      ]);
      // When the tasks inside are done
      const tared = await ctx.engine.tasks.complete(olivia, taskAt(prepared, 'tare'));
      assert.deepEqual(
        tared.openTasks.map((t) => t.elementId),
        ['weigh'],
      );
      const weighed = await ctx.engine.tasks.complete(olivia, taskAt(tared, 'weigh'), {
        variables: { weight: 10.02 },
      });
      // Then the sub-process completes, its timer ends with it, and review opens
      assert.deepEqual(weighed.activeElements, [{ elementId: 'review', waitsFor: 'task' }]);
      assert.equal(weighed.variables.weight, 10.02, 'a variable set inside goes to the process');
      ctx.clock.advance(180);
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'the boundary timer ended with the sub-process');
      const history = await types(started.id);
      assert.equal(count(history, 'subprocess.started'), 1);
      assert.equal(count(history, 'subprocess.completed'), 1);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(weighed, 'review'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: an interrupting timer on the sub-process cancels the tasks inside it', async () => {
      // Given a weighing in progress: tared, not yet weighed
      const started = await ctx.engine.processes.start(olivia, 'weighingStep');
      const prepared = await ctx.engine.tasks.complete(olivia, taskAt(started, 'prepare'));
      const tared = await ctx.engine.tasks.complete(olivia, taskAt(prepared, 'tare'));
      const weigh = taskAt(tared, 'weigh');
      // When two hours pass
      ctx.clock.advance(119);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      ctx.clock.advance(2);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then the weighing is cancelled, only the investigation is open, and review never comes
      const after = await get(started.id);
      assert.deepEqual(after.activeElements, [{ elementId: 'escalate', waitsFor: 'task' }]);
      await assert.rejects(ctx.engine.tasks.complete(olivia, weigh), /cancelled already/);
      assert.deepEqual(
        (await ctx.engine.tasks.list(olivia, { instanceId: started.id })).map((t) => t.elementId),
        [],
      );
      const done = await ctx.engine.tasks.complete(quinn, taskAt(after, 'escalate'));
      assert.equal(done.status, 'completed');
      assert.equal(count(await types(started.id), 'subprocess.completed'), 0);
    });

    it('Scenario: a terminate end event inside the sub-process ends only the sub-process', async () => {
      // Given a cleaning with both inner branches open and the logbook open beside it
      const started = await ctx.engine.processes.start(olivia, 'cleaningWithAbort');
      assert.deepEqual(await open(started.id), ['logbook', 'rinse', 'wipe']);
      const wipe = taskAt(started, 'wipe');
      // When the rinse water fails its test
      const rinsed = await ctx.engine.tasks.complete(olivia, taskAt(started, 'rinse'), {
        variables: { rinseFailed: true },
      });
      // Then the wiping inside is ended, the sub-process completes and the parent goes on
      assert.equal(rinsed.status, 'active');
      assert.deepEqual(rinsed.openTasks.map((t) => t.elementId).sort(), ['inspect', 'logbook']);
      await assert.rejects(ctx.engine.tasks.complete(olivia, wipe), /cancelled already/);
      const history = await types(started.id);
      assert.equal(count(history, 'scope.terminated'), 1);
      assert.equal(count(history, 'process.terminated'), 0);
      // When the rest is done, the instance completes normally (it is not terminated)
      const logged = await ctx.engine.tasks.complete(olivia, taskAt(rinsed, 'logbook'));
      const done = await ctx.engine.tasks.complete(quinn, taskAt(logged, 'inspect'));
      assert.equal(done.status, 'completed');
    });
  });

  describe('Errors thrown inside a sub-process', () => {
    it('Scenario: an error end event is caught by the error boundary naming it', async () => {
      // Given a dispensing that finds too little stock
      const started = await ctx.engine.processes.start(olivia, 'dispenseWithBoundaries', {
        variables: { required: 5, spilled: false },
      });
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'check'), {
        variables: { stock: 3 },
      });
      // Then the named boundary catches it (not the catch-all) and the normal path is not taken
      assert.deepEqual(done.activeElements, [{ elementId: 'reorder', waitsFor: 'task' }]);
      const history = await ctx.engine.processes.history(quinn, started.id);
      const caught = history.filter((e) => e.type === 'error.caught').map((e) => e.payload);
      assert.deepEqual(caught, [{ elementId: 'shortCaught', code: 'SHORTFALL' }]);
    });

    it('Scenario: an error no boundary names is caught by the catch-all error boundary', async () => {
      const started = await ctx.engine.processes.start(olivia, 'dispenseWithBoundaries', {
        variables: { required: 5 },
      });
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'check'), {
        variables: { stock: 9, spilled: true },
      });
      assert.deepEqual(done.activeElements, [{ elementId: 'deviation', waitsFor: 'task' }]);
      const history = await ctx.engine.processes.history(quinn, started.id);
      assert.deepEqual(
        history.filter((e) => e.type === 'error.caught').map((e) => e.payload),
        [{ elementId: 'anyError', code: 'SPILL' }],
      );
      const closed = await ctx.engine.tasks.complete(quinn, taskAt(done, 'deviation'));
      assert.equal(closed.status, 'completed');
    });

    it('Scenario: an error event sub-process inside the sub-process handles it; the sub-process then completes', async () => {
      // Given a dispensing with a recount event sub-process inside it
      const started = await ctx.engine.processes.start(olivia, 'dispenseWithRecount', {
        variables: { required: 5 },
      });
      // When the stock is short
      const short = await ctx.engine.tasks.complete(olivia, taskAt(started, 'rCheck'), {
        variables: { stock: 1 },
      });
      // Then the recount opens inside the sub-process, which still holds the token
      assert.deepEqual(short.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'onShortfall:scope',
        'rDispense:scope',
        'recount:task',
      ]);
      // When the recount is done, the sub-process completes and the flow goes on after it
      const recounted = await ctx.engine.tasks.complete(olivia, taskAt(short, 'recount'));
      assert.deepEqual(recounted.activeElements, [{ elementId: 'rLabel', waitsFor: 'task' }]);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(recounted, 'rLabel'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: an error nobody catches is an incident at the throwing end event', async () => {
      // Given a dispensing whose sub-process catches only spills
      const started = await ctx.engine.processes.start(olivia, 'dispenseUncaught', {
        variables: { required: 5 },
      });
      // When the stock is short
      const short = await ctx.engine.tasks.complete(olivia, taskAt(started, 'uCheck'), {
        variables: { stock: 1 },
      });
      // Then the instance stops with an incident at the error end event, not a silent completion
      assert.equal(short.status, 'incident');
      assert.deepEqual(
        short.incidents.map((i) => i.elementId),
        ['uShort'],
      );
      const [incident] = await ctx.engine.incidents.list(quinn, started.id);
      assert.match(incident!.message, /Error "SHORTFALL" was thrown and nothing catches it/);
      assert.ok(!(await types(started.id)).includes('error.caught'));
    });
  });

  describe('Non-interrupting message event sub-process at process level', () => {
    it('Scenario: two comments start two reviews beside production; the process ends when all are done', async () => {
      // Given a batch in production
      const started = await ctx.engine.processes.start(olivia, 'batchWithComments', {
        variables: { batchId: 'B-31' },
      });
      const correlate = () =>
        ctx.engine.processes.messages.correlate(quinn, { name: 'Batch comment', correlationKey: 'B-31' });
      // When two comments arrive
      const first = await correlate();
      const second = await correlate();
      // Then each starts its own review, and production goes on undisturbed
      assert.equal(first.instance.id, started.id);
      assert.equal(second.instance.id, started.id);
      assert.deepEqual(await open(started.id), ['note', 'note', 'produce']);
      // When production is done, the instance waits for the reviews
      const produced = await ctx.engine.tasks.complete(olivia, taskAt(started, 'produce'));
      assert.equal(produced.status, 'active');
      assert.deepEqual(
        produced.openTasks.map((t) => t.elementId),
        ['note', 'note'],
      );
      // When both reviews are done, the instance completes and no longer listens
      let instance = produced;
      for (const task of produced.openTasks) instance = await ctx.engine.tasks.complete(quinn, task.id);
      assert.equal(instance.status, 'completed');
      assert.equal(count(await types(started.id), 'subprocess.started'), 2);
      await assert.rejects(correlate(), NotFoundError);
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });
});
