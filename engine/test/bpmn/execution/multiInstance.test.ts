import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: multi-instance activities', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  /** What the LIMS handler was asked, per call. */
  const asked: Record<string, unknown>[] = [];
  const lims: Record<string, number> = { S1: 99.1, S2: 98.4, S3: 100.2 };
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      ['mi-rooms.bpmn', 'mi-containers.bpmn', 'mi-scripts.bpmn', 'mi-assays.bpmn'],
      (ctx) => {
        ctx.engine.processes.handlers.register('lims.assay', ({ variables }) => {
          asked.push(variables);
          return { variables: { assay: lims[variables.sample as string] } };
        });
      },
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const history = (id: string) => ctx.engine.processes.history(quinn, id);
  const count = async (id: string, type: string) => (await history(id)).filter((e) => e.type === type).length;

  it('Scenario: a sequential multi-instance task runs one item at a time, in order, with loopCounter', async () => {
    // Given three rooms to inspect one after the other
    const started = await ctx.engine.processes.start(olivia, 'inspectRooms', {
      variables: { rooms: ['A-101', 'A-102', 'A-103'] },
    });
    // Then only one inspection is open at a time; each completion opens the next
    let instance = started;
    const seenTasks = new Set<string>();
    for (const finding of ['clean', 'dusty', 'clean']) {
      assert.deepEqual(
        instance.openTasks.map((t) => t.elementId),
        ['inspect'],
      );
      const task = taskAt(instance, 'inspect');
      assert.ok(!seenTasks.has(task), 'each item gets a task of its own');
      seenTasks.add(task);
      assert.equal((await ctx.engine.tasks.list(olivia, { instanceId: started.id })).length, 1);
      instance = await ctx.engine.tasks.complete(olivia, task, { variables: { finding } });
    }
    // Then the outputs are in item order, each computed with its own loopCounter and item
    assert.deepEqual(
      instance.openTasks.map((t) => t.elementId),
      ['sign'],
    );
    assert.deepEqual(instance.variables.findings, ['1. A-101: clean', '2. A-102: dusty', '3. A-103: clean']);
    for (const local of ['room', 'loopCounter', 'finding', 'nrOfInstances', 'nrOfCompletedInstances']) {
      assert.equal(instance.variables[local], undefined, `${local} stays inside the multi-instance activity`);
    }
    assert.equal(await count(started.id, 'multiInstance.completed'), 1);
  });

  it('Scenario: loopCardinality runs the task that many times at once; the item variable counts from 1', async () => {
    // Given three containers to label
    const started = await ctx.engine.processes.start(olivia, 'printLabels', { variables: { containers: 3 } });
    // Then three labels are to be printed at once
    assert.deepEqual(await open(started.id), ['print', 'print', 'print']);
    const started_ = (await history(started.id)).find((e) => e.type === 'multiInstance.started');
    assert.deepEqual(started_?.payload, { elementId: 'print', instances: 3, sequential: false });
    // When they are printed in reverse order
    let instance = started;
    for (const task of [...started.openTasks].reverse()) {
      assert.equal(
        instance.openTasks.some((t) => t.elementId === 'reconcile'),
        false,
      );
      instance = await ctx.engine.tasks.complete(olivia, task.id);
    }
    // Then the flow goes on once, with the copies numbered in item order
    assert.deepEqual(
      instance.openTasks.map((t) => t.elementId),
      ['reconcile'],
    );
    assert.deepEqual(instance.variables.printed, [1, 2, 3]);
  });

  it('Scenario: a multi-instance embedded sub-process runs its whole flow once per item', async () => {
    // Given two containers
    const started = await ctx.engine.processes.start(olivia, 'weighContainers', {
      variables: { containers: ['C1', 'C2'] },
    });
    // Then each container's sub-process starts at its own tare task
    assert.deepEqual(await open(started.id), ['tare', 'tare']);
    // When the first container is tared, only its weighing opens
    const tared = await ctx.engine.tasks.complete(olivia, started.openTasks[0]!.id);
    assert.deepEqual(tared.openTasks.map((t) => t.elementId).sort(), ['tare', 'weigh']);
    // When the first container is weighed, the activity still waits for the second
    const first = await ctx.engine.tasks.complete(olivia, taskAt(tared, 'weigh'));
    assert.deepEqual(
      first.openTasks.map((t) => t.elementId),
      ['tare'],
    );
    const second = await ctx.engine.tasks.complete(olivia, taskAt(first, 'tare'));
    const done = await ctx.engine.tasks.complete(olivia, taskAt(second, 'weigh'));
    // Then the activity completes once and review opens
    assert.deepEqual(
      done.openTasks.map((t) => t.elementId),
      ['review'],
    );
    assert.deepEqual(done.variables.weighed, ['C1', 'C2']);
    assert.equal(done.variables.container, undefined);
    assert.equal(await count(started.id, 'subprocess.completed'), 2);
    assert.equal(await count(started.id, 'multiInstance.completed'), 1);
  });

  it('Scenario: a multi-instance script task runs synchronously and collects its outputs', async () => {
    // Given a recipe scaled by four
    const started = await ctx.engine.processes.start(olivia, 'scaleRecipe', {
      variables: { quantities: [1.5, 2, 0.25], factor: 4 },
    });
    // Then every ingredient is scaled in the same move, in item order
    assert.deepEqual(started.activeElements, [{ elementId: 'confirm', waitsFor: 'task' }]);
    assert.deepEqual(started.variables.scaledQuantities, [6, 8, 1]);
    assert.equal(started.variables.scaled, undefined, 'the result variable stays in its inner instance');
    assert.equal(started.variables.quantity, undefined);
  });

  it('Scenario: a sequential multi-instance script task passes all items in one move', async () => {
    const started = await ctx.engine.processes.start(olivia, 'numberContainers', {
      variables: { containers: ['drum', 'bag', 'box'], batchId: 'B-9' },
    });
    assert.equal(started.status, 'completed');
    assert.deepEqual(started.variables.labels, ['B-9/1 drum', 'B-9/2 bag', 'B-9/3 box']);
    assert.equal(started.variables.label, undefined);
  });

  it('Scenario: an interrupting timer on the multi-instance activity cancels every inner task', async () => {
    // Given three containers to sample within the hour, one sampled already
    const started = await ctx.engine.processes.start(olivia, 'sampleWithDeadline', {
      variables: { containers: ['C1', 'C2', 'C3'] },
    });
    const tasks = started.openTasks.map((t) => t.id);
    assert.equal(tasks.length, 3);
    await ctx.engine.tasks.complete(olivia, tasks[1]!);
    // When the hour passes
    ctx.clock.advance(61);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then the remaining samplings are cancelled and the resampling is planned instead
    const after = await get(started.id);
    assert.deepEqual(after.activeElements, [{ elementId: 'resample', waitsFor: 'task' }]);
    for (const task of [tasks[0]!, tasks[2]!]) {
      await assert.rejects(ctx.engine.tasks.complete(olivia, task), /cancelled already/);
    }
    assert.deepEqual(await ctx.engine.tasks.list(olivia, { instanceId: started.id }), []);
    assert.equal(await count(started.id, 'multiInstance.completed'), 0);
  });

  it('Scenario: a multi-instance service task calls its handler once per item and collects the outputs', async () => {
    // Given three samples
    asked.length = 0;
    const started = await ctx.engine.processes.start(olivia, 'assayAllSamples', {
      variables: { samples: ['S3', 'S1', 'S2'] },
    });
    assert.deepEqual(
      started.activeElements.filter((e) => e.waitsFor === 'job').map((e) => e.elementId),
      ['assay', 'assay', 'assay'],
    );
    // When the jobs run
    assert.equal(await ctx.engine.jobs.runDue(), 3);
    // Then each handler call saw its own item and counter
    assert.deepEqual(asked.map((v) => `${v.loopCounter as number}:${v.sample as string}`).sort(), [
      '1:S3',
      '2:S1',
      '3:S2',
    ]);
    // Then the outputs are in item order and the inner variables stay inside
    const done = await get(started.id);
    assert.deepEqual(
      done.openTasks.map((t) => t.elementId),
      ['review'],
    );
    assert.deepEqual(done.variables.assays, [100.2, 99.1, 98.4]);
    assert.equal(done.variables.assay, undefined);
    assert.equal(done.variables.sample, undefined);
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
