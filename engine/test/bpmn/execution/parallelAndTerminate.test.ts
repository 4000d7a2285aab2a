import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: parallel gateways and terminate end events', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let oscar: Principal;
  before(async () => {
    ({ ctx, olivia, oscar } = await scenarioEngine(
      ['olivia', 'oscar'],
      ['line-clearance.bpmn', 'abort.bpmn'],
    ));
  });
  after(() => ctx.close());

  it('Scenario: the join waits for every branch, a manual task passes straight through', async () => {
    // Given a line clearance split into three branches
    const started = await ctx.engine.processes.start(olivia, 'lineClearance');
    assert.deepEqual(started.openTasks.map((t) => t.elementId).sort(), ['documents', 'materials']);
    // When one branch is done, then the join still waits
    const one = await ctx.engine.tasks.complete(olivia, taskAt(started, 'materials'));
    assert.deepEqual(
      one.openTasks.map((t) => t.elementId),
      ['documents'],
    );
    // When the last branch is done, then the check comes next, once
    const two = await ctx.engine.tasks.complete(oscar, taskAt(one, 'documents'));
    assert.deepEqual(
      two.openTasks.map((t) => t.elementId),
      ['check'],
    );
    const done = await ctx.engine.tasks.complete(oscar, taskAt(two, 'check'));
    assert.equal(done.status, 'completed');
  });

  it('Scenario: a terminate end event ends the instance and cancels the work still open', async () => {
    const started = await ctx.engine.processes.start(olivia, 'abort');
    const weigh = taskAt(started, 'weigh');
    const aborted = await ctx.engine.tasks.complete(oscar, taskAt(started, 'inspect'), {
      variables: { passed: false },
    });
    assert.equal(aborted.status, 'terminated');
    assert.deepEqual(aborted.openTasks, []);
    await assert.rejects(ctx.engine.tasks.complete(olivia, weigh), /cancelled already/);
    const types = (await ctx.engine.processes.history(olivia, started.id)).map((e) => e.type);
    assert.deepEqual(types.slice(-3), ['task.completed', 'gateway.decided', 'process.terminated']);
  });

  it('Scenario: a branch that ends on its own does not end the instance', async () => {
    const started = await ctx.engine.processes.start(olivia, 'abort');
    const afterWeigh = await ctx.engine.tasks.complete(oscar, taskAt(started, 'weigh'));
    assert.equal(afterWeigh.status, 'active');
    const done = await ctx.engine.tasks.complete(oscar, taskAt(afterWeigh, 'inspect'), {
      variables: { passed: true },
    });
    assert.equal(done.status, 'completed');
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
