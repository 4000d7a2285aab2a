import assert from 'node:assert/strict';
import { BpmnError, type Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: service and business-rule tasks done by handlers as jobs', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  /** What the scale does next: a weight, offline (a BPMN error), or broken (a failure). */
  let scale: number | 'offline' | 'broken' = 10;
  const seen: { attempt: number; variables: Record<string, unknown> }[] = [];
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(['olivia', 'quinn'], ['scale-service.bpmn'], (ctx) => {
      ctx.engine.processes.handlers.register('scale.read', ({ attempt, variables }) => {
        seen.push({ attempt, variables });
        if (scale === 'offline') throw new BpmnError('SCALE_OFFLINE', 'The scale does not answer');
        if (scale === 'broken') throw new Error('serial port closed');
        return { variables: { weight: scale } };
      });
    }));
  });
  after(() => ctx.close());

  it('Scenario: the handler reads the scale; a FEEL decision judges the weight', async () => {
    scale = 10.05;
    const started = await ctx.engine.processes.start(olivia, 'scaleWeighing', {
      variables: { material: 'API-1' },
    });
    assert.deepEqual(started.activeElements, [{ elementId: 'read', waitsFor: 'job' }]);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const done = await ctx.engine.processes.get(quinn, started.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.weight, 10.05);
    assert.equal(done.variables.inTolerance, true);
    assert.equal(seen.at(-1)!.variables.material, 'API-1', 'the handler sees the variables');
    const types = (await ctx.engine.processes.history(quinn, started.id)).map((e) => e.type);
    assert.ok(types.includes('service.completed'));
  });

  it('Scenario: the scale is offline; the BPMN error is caught on the boundary and the operator weighs by hand', async () => {
    scale = 'offline';
    const started = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    await ctx.engine.jobs.runDue();
    const instance = await ctx.engine.processes.get(quinn, started.id);
    assert.deepEqual(
      instance.openTasks.map((t) => t.elementId),
      ['manual'],
    );
    const done = await ctx.engine.tasks.complete(olivia, taskAt(instance, 'manual'), {
      variables: { weight: 12 },
    });
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.inTolerance, false);
  });

  it('Scenario: the handler keeps failing; it is retried with back-off, then an incident a retry resolves', async () => {
    scale = 'broken';
    const started = await ctx.engine.processes.start(olivia, 'scaleWeighing');
    const before = seen.length;
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'the first attempt fails');
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'and is not retried at once');
    ctx.clock.advance(1);
    await ctx.engine.jobs.runDue();
    ctx.clock.advance(1);
    await ctx.engine.jobs.runDue();
    // attest:retries="2": three attempts in all, then the job gives up
    assert.equal(seen.length - before, 3);
    const stuck = await ctx.engine.processes.get(quinn, started.id);
    assert.equal(stuck.status, 'incident');
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.match(incident!.message, /serial port closed/);
    ctx.clock.advance(10);
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'a job that gave up waits for a person');
    // When the scale is repaired and the incident retried, the same job runs again and succeeds
    scale = 9.95;
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id);
    assert.equal(retried.status, 'active');
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const done = await ctx.engine.processes.get(quinn, started.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.inTolerance, true);
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
