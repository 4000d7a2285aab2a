import assert from 'node:assert/strict';
import { InputError, type Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: input and output mappings and variable scopes', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  /** The variables the label printer was given, per call. */
  const printed: Record<string, unknown>[] = [];
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      ['vars-mappings.bpmn', 'vars-called.bpmn', 'vars-mi-local.bpmn'],
      (ctx) => {
        ctx.engine.processes.handlers.register('label.print', ({ variables }) => {
          printed.push(variables);
          return { variables: { printer: 'line 3' } };
        });
      },
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const history = (id: string) => ctx.engine.processes.history(quinn, id);
  const childOf = async (parentId: string) => {
    const started = (await history(parentId)).filter((e) => e.type === 'call.started');
    return Promise.all(started.map((e) => get(e.payload.childInstanceId as string)));
  };

  it('Scenario: input mappings give a task local variables that do not leak to the process', async () => {
    // Given a batch to label
    const started = await ctx.engine.processes.start(olivia, 'printBatchLabel', {
      variables: { batch: { id: 'B-12', quantity: 25 } },
    });
    // When the label printer runs
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then it saw the mapped values, a later input built on an earlier one
    assert.equal(printed.length, 1);
    assert.equal(printed[0]!.batchId, 'B-12');
    assert.equal(printed[0]!.labelText, 'B-12, 25 kg');
    assert.deepEqual(
      printed[0]!.batch,
      { id: 'B-12', quantity: 25 },
      'the process variables are visible too',
    );
    // Then the process has the printer's result but none of the task's local variables
    const after = await get(started.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.elementId),
      ['check'],
    );
    assert.deepEqual(after.variables, { batch: { id: 'B-12', quantity: 25 }, printer: 'line 3' });
  });

  it('Scenario: output mappings map the results back under new names, and only those', async () => {
    // Given a weighing against a target of 10 kg
    const started = await ctx.engine.processes.start(olivia, 'netWeighing', {
      variables: { batch: { target: 10 } },
    });
    // When the operator enters gross and tare
    const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'weigh'), {
      variables: { gross: 12.05, tare: 2 },
    });
    // Then the process gets the mapped names, not the raw entries or the local target
    assert.deepEqual(done.variables, {
      batch: { target: 10 },
      netWeight: 10.05,
      grossWeight: 12.05,
      withinTarget: true,
    });
    const completed = (await history(started.id)).find((e) => e.type === 'task.completed');
    assert.deepEqual((completed?.payload.changes as { path: string }[]).map((c) => c.path).sort(), [
      '/grossWeight',
      '/netWeight',
      '/withinTarget',
    ]);
  });

  it('Scenario: an output mapping that fails on completion refuses the completion and changes nothing', async () => {
    // Given the log reduction is to be recorded
    const started = await ctx.engine.processes.start(olivia, 'bioburdenReduction', {
      variables: { dilutionExponent: 2 },
    });
    const prepared = await ctx.engine.tasks.complete(olivia, taskAt(started, 'prepare'));
    const record = taskAt(prepared, 'record');
    const before = await history(started.id);
    // When an impossible log reduction is entered (10 ** 400 is no number)
    await assert.rejects(
      ctx.engine.tasks.complete(olivia, record, { variables: { logReduction: 400 } }),
      (error: Error) => error instanceof InputError && /Infinity/.test(error.message),
    );
    // Then the task is still open, nothing was written, and the variables are as they were
    const after = await get(started.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.id),
      [record],
    );
    assert.deepEqual(after.variables, prepared.variables);
    assert.equal((await history(started.id)).length, before.length);
    // When a sensible value is entered, the completion goes through
    const done = await ctx.engine.tasks.complete(olivia, record, { variables: { logReduction: 6 } });
    assert.equal(done.variables.reductionFactor, 1_000_000);
    assert.equal(done.variables.logReduction, undefined);
  });

  it('Scenario: an input mapping that fails is an incident, retried after correcting the variables', async () => {
    // Given a dilution exponent no number can hold
    const started = await ctx.engine.processes.start(olivia, 'bioburdenReduction', {
      variables: { dilutionExponent: 400 },
    });
    // Then the task is not created: the instance holds an incident at it
    assert.equal(started.status, 'incident');
    assert.deepEqual(started.openTasks, []);
    assert.deepEqual(
      started.incidents.map((i) => i.elementId),
      ['prepare'],
    );
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.match(incident!.message, /10 \*\* dilutionExponent/);
    // When the exponent is corrected and the incident retried
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id, {
      reason: 'Corrected after the incident',
      variables: { dilutionExponent: 3 },
    });
    // Then the task opens and the incident is resolved
    assert.equal(retried.status, 'active');
    assert.deepEqual(
      retried.openTasks.map((t) => t.elementId),
      ['prepare'],
    );
    assert.deepEqual(await ctx.engine.incidents.list(quinn, started.id), []);
    const done = await ctx.engine.tasks.complete(olivia, taskAt(retried, 'prepare'));
    assert.equal(done.variables.dilutionFactor, undefined, 'the mapped input stayed local');
  });

  it('Scenario: a call activity maps variables into the called process and its results back', async () => {
    // Given a batch whose sample is checked by the lab
    const started = await ctx.engine.processes.start(olivia, 'releaseWithMappedCheck', {
      variables: { batch: { id: 'B-7' } },
    });
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then the called process sees the mapped input beside the caller's variables
    const [child] = await childOf(started.id);
    assert.deepEqual(child!.variables, { batch: { id: 'B-7' }, sampleId: 'B-7' });
    // When the lab measures
    await ctx.engine.tasks.complete(olivia, taskAt(child!, 'measure'), {
      variables: { assay: 99.1, analyst: 'olivia', scratch: 'notes' },
    });
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then only the mapped outputs come back, under their new names
    const after = await get(started.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.elementId),
      ['release'],
    );
    assert.deepEqual(after.variables, { batch: { id: 'B-7' }, releaseAssay: 99.1, checkedBy: 'olivia' });
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: variables set in a multi-instance task stay in its inner instance when outputElement is used', async () => {
    // Given two containers to count
    const started = await ctx.engine.processes.start(olivia, 'countContainers', {
      variables: { containers: ['C1', 'C2'] },
    });
    const [first, second] = started.openTasks;
    // When the second is counted before the first
    await ctx.engine.tasks.complete(olivia, second!.id, { variables: { units: 7 } });
    const done = await ctx.engine.tasks.complete(olivia, first!.id, { variables: { units: 5 } });
    // Then each count is collected for its own item, and none reaches the process
    assert.deepEqual(done.variables, { containers: ['C1', 'C2'], counts: [5, 7] });
  });

  it('Scenario: variables set inside a multi-instance sub-process stay in its inner instance when outputElement is used', async () => {
    // Given two containers, each counted and then confirmed in its own sub-process
    const started = await ctx.engine.processes.start(olivia, 'countAndConfirm', {
      variables: { containers: ['C1', 'C2'] },
    });
    const [first, second] = started.openTasks;
    // When both are counted before either is confirmed
    await ctx.engine.tasks.complete(olivia, first!.id, { variables: { units: 5 } });
    const counted = await ctx.engine.tasks.complete(olivia, second!.id, { variables: { units: 7 } });
    // When both counts are confirmed
    let instance = counted;
    for (const task of counted.openTasks) instance = await ctx.engine.tasks.complete(olivia, task.id);
    // Then each container's own count is collected, and no count reaches the process
    assert.deepEqual(
      instance.openTasks.map((t) => t.elementId),
      ['cReview'],
    );
    assert.deepEqual(instance.variables, { containers: ['C1', 'C2'], counts: [5, 7] });
  });

  it('Scenario: the item variable and counters do not come back into the process through a called process', async () => {
    // Given two containers, each checked by a called process
    const started = await ctx.engine.processes.start(olivia, 'checkEveryContainer', {
      variables: { containers: ['C1', 'C2'] },
    });
    // When both called processes run and end
    await ctx.engine.jobs.runDue();
    const children = await childOf(started.id);
    assert.deepEqual(
      children.map((c) => c.status),
      ['completed', 'completed'],
    );
    // Then the caller goes on with the called results, but without the inner instance's variables
    const after = await get(started.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.elementId),
      ['cReview'],
    );
    assert.deepEqual(after.variables, { containers: ['C1', 'C2'], checked: true });
  });
});
