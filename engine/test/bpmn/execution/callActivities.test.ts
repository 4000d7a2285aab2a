import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { deploy, scenarioEngine, taskAt } from './support.ts';

describe('Feature: call activities start a process of their own', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    // stabilityCheck, which releaseWithStability calls, is deployed only later in a scenario
    // retainSample, which keepRetainedSample calls, likewise
    ({ ctx, olivia, quinn, petra } = await scenarioEngine(
      ['olivia', 'quinn', 'petra'],
      ['call-label-check.bpmn', 'call-stability.bpmn', 'call-uncaught.bpmn', 'call-retained-sample.bpmn'],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const history = (id: string) => ctx.engine.processes.history(quinn, id);
  const types = async (id: string) => (await history(id)).map((e) => e.type);
  const seconds = (s: number) => ctx.clock.advance(s / 60);
  /** The instances the caller's call activities started, in order. */
  const children = async (parentId: string) =>
    (await history(parentId))
      .filter((e) => e.type === 'call.started')
      .map((e) => e.payload.childInstanceId as string);

  it('Scenario: the called process is an instance of its own, with its own history, parent and business key', async () => {
    // Given a packaging for batch B-200
    const started = await ctx.engine.processes.start(olivia, 'packWithLabelCheck', { businessKey: 'B-200' });
    assert.deepEqual(started.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
      'checkLabels:call',
      'tooLong:timer',
    ]);
    // When the call activity's job runs
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then a label check instance runs for the same batch, linked to its caller
    const [childId] = await children(started.id);
    const child = await get(childId!);
    assert.notEqual(child.id, started.id);
    assert.equal(child.key, 'labelCheck');
    assert.equal(child.parentInstanceId, started.id);
    assert.equal(child.businessKey, 'B-200');
    assert.deepEqual(
      child.openTasks.map((t) => t.elementId),
      ['compare'],
    );
    // Then each has its own audit trail: the task is recorded in the child's, not the caller's
    const childHistory = await history(child.id);
    assert.equal(childHistory[0]!.type, 'process.started');
    assert.equal((childHistory[0]!.payload.calledBy as { instanceId: string }).instanceId, started.id);
    assert.ok(childHistory.some((e) => e.type === 'task.created'));
    assert.ok(!(await types(started.id)).includes('task.created'));
    assert.deepEqual(await ctx.engine.tasks.list(olivia, { instanceId: started.id }), []);
    // When the labels are compared, the child completes and the caller goes on
    const childDone = await ctx.engine.tasks.complete(olivia, taskAt(child, 'compare'));
    assert.equal(childDone.status, 'completed');
    assert.equal(
      (await get(started.id)).activeElements.some((e) => e.elementId === 'pack'),
      false,
    );
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const caller = await get(started.id);
    assert.deepEqual(caller.activeElements, [{ elementId: 'pack', waitsFor: 'task' }]);
    assert.ok((await types(started.id)).includes('call.completed'));
    ctx.clock.advance(300);
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'the boundary timer ended with the call activity');
  });

  it('Scenario: an interrupting timer on the call activity cancels the called instance', async () => {
    // Given a label check running in its own instance
    const started = await ctx.engine.processes.start(olivia, 'packWithLabelCheck', { businessKey: 'B-201' });
    await ctx.engine.jobs.runDue();
    const [childId] = await children(started.id);
    const compare = taskAt(await get(childId!), 'compare');
    // When four hours pass: the timer fires, and the cancellation of the child runs as a job
    ctx.clock.advance(241);
    assert.equal(await ctx.engine.jobs.runDue(), 2);
    // Then the caller escalates and the child is terminated with its task cancelled
    const caller = await get(started.id);
    assert.deepEqual(caller.activeElements, [{ elementId: 'escalate', waitsFor: 'task' }]);
    const child = await get(childId!);
    assert.equal(child.status, 'terminated');
    assert.notEqual(child.endedAt, null);
    assert.deepEqual(child.activeElements, []);
    assert.ok((await types(child.id)).includes('process.cancelled'));
    await assert.rejects(ctx.engine.tasks.complete(olivia, compare), /cancelled already/);
    // Then the cancelled child hands nothing back
    assert.equal(await ctx.engine.jobs.runDue(), 0);
    assert.deepEqual((await get(started.id)).activeElements, [{ elementId: 'escalate', waitsFor: 'task' }]);
  });

  it('Scenario: calling a process that is not deployed is retried with back-off, then an incident a deployment resolves', async () => {
    // Given a release that calls stabilityCheck, which nobody deployed
    const started = await ctx.engine.processes.start(olivia, 'releaseWithStability');
    // When the call is attempted: it fails, and is tried again 10 s × attempt² later
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'the first attempt fails');
    for (let attempt = 1; attempt <= 4; attempt++) {
      seconds(10 * attempt * attempt - 3);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.equal((await get(started.id)).status, 'active', `no incident before attempt ${attempt + 1}`);
      seconds(4);
      assert.equal(await ctx.engine.jobs.runDue(), 0, `attempt ${attempt + 1} fails`);
    }
    // Then after the fifth attempt the call activity holds an incident
    const stuck = await get(started.id);
    assert.equal(stuck.status, 'incident');
    assert.deepEqual(
      stuck.incidents.map((i) => i.elementId),
      ['stability'],
    );
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.match(incident!.message, /failed 5 times/);
    assert.match(incident!.message, /No process with key stabilityCheck/);
    ctx.clock.advance(60);
    assert.equal(await ctx.engine.jobs.runDue(), 0, 'a call that gave up waits for a person');
    assert.deepEqual(await children(started.id), []);
    // When the stability check is deployed and the incident retried
    await deploy(ctx.engine, quinn, 'call-stability-check.bpmn');
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id);
    assert.equal(retried.status, 'active');
    assert.deepEqual(retried.activeElements, [{ elementId: 'stability', waitsFor: 'call' }]);
    // Then the call goes through and the release follows the child
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const [childId] = await children(started.id);
    const child = await get(childId!);
    assert.equal(child.key, 'stabilityCheck');
    await ctx.engine.tasks.complete(olivia, taskAt(child, 'pull'));
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const caller = await get(started.id);
    assert.deepEqual(
      caller.openTasks.map((t) => t.elementId),
      ['release'],
    );
    assert.equal((await ctx.engine.tasks.complete(petra, taskAt(caller, 'release'))).status, 'completed');
  });

  it('Scenario: the called process gets the variables the caller has when it starts, not when it was scheduled', async () => {
    // Given a label check called beside the recording of the lot number
    const started = await ctx.engine.processes.start(olivia, 'recordAndCheckLabels', {
      variables: { batch: 'B-300' },
    });
    // When the lot number is recorded before the called process has started
    await ctx.engine.tasks.complete(olivia, taskAt(started, 'record'), { variables: { lot: 'L-9' } });
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then the called process sees it, as every variable the caller sees
    const [childId] = await children(started.id);
    assert.deepEqual((await get(childId!)).variables, { batch: 'B-300', lot: 'L-9' });
  });

  it('Scenario: variables corrected when retrying a failed call reach the called process', async () => {
    // Given a call that gave up because retainSample was not deployed
    const started = await ctx.engine.processes.start(olivia, 'keepRetainedSample', {
      variables: { quantity: 0 },
    });
    for (let attempt = 1; attempt <= 5; attempt++) {
      await ctx.engine.jobs.runDue();
      ctx.clock.advance(5);
    }
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.equal(incident?.elementId, 'retain');
    // When it is deployed and the incident retried with the quantity corrected
    await deploy(ctx.engine, quinn, 'call-retain-sample.bpmn');
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id, {
      reason: 'Corrected after the incident',
      variables: { quantity: 3 },
    });
    assert.equal(retried.variables.quantity, 3);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    // Then the called process starts with the corrected value
    const [childId] = await children(started.id);
    assert.deepEqual((await get(childId!)).variables, { quantity: 3 });
  });

  it('Scenario: an error the child does not catch, and the caller does not catch either, is an incident in the caller', async () => {
    // Given an assay called by a release that only catches instrument failures
    const started = await ctx.engine.processes.start(olivia, 'releaseUnguarded');
    await ctx.engine.jobs.runDue();
    const [childId] = await children(started.id);
    // When the assay is out of specification
    const ended = await ctx.engine.tasks.complete(olivia, taskAt(await get(childId!), 'measure'), {
      variables: { assay: 90 },
    });
    // Then the child ends with the error, and the caller gets it
    assert.equal(ended.status, 'terminated');
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const caller = await get(started.id);
    assert.equal(caller.status, 'incident');
    assert.deepEqual(
      caller.incidents.map((i) => i.elementId),
      ['assay'],
    );
    assert.deepEqual(caller.openTasks, [], 'neither the release nor the repair opens');
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.match(incident!.message, /Error "OOS" was thrown and nothing catches it/);
    const callerTypes = await types(started.id);
    assert.ok(callerTypes.includes('call.failed'));
    assert.ok(!callerTypes.includes('error.caught'));
    // When the incident is retried, the assay is called again, and this time it passes
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id);
    assert.equal(retried.status, 'active');
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const calls = await children(started.id);
    assert.equal(calls.length, 2);
    await ctx.engine.tasks.complete(olivia, taskAt(await get(calls[1]!), 'measure'), {
      variables: { assay: 99 },
    });
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    assert.deepEqual(
      (await get(started.id)).openTasks.map((t) => t.elementId),
      ['release'],
    );
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
