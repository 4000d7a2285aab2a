import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import { compileBpmn } from '../../../src/bpmn/model/compile.ts';
import { demoPassword, type TestContext } from '../../support/testEngine.ts';
import { fixture, scenarioEngine, taskAt } from './support.ts';

describe('Feature: steps signed at completion, given to one person, kept apart from each other', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let oscar: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ({ ctx, olivia, oscar, quinn, petra } = await scenarioEngine(
      ['olivia', 'oscar', 'quinn', 'petra'],
      ['signed-steps.bpmn'],
    ));
  });
  after(() => ctx.close());

  const start = () =>
    ctx.engine.processes.start(olivia, 'cleaningRecord', { variables: { cleaner: 'oscar' } });
  const sign = (u: 'olivia' | 'oscar' | 'quinn' | 'petra', reason?: string) => ({
    signature: { password: demoPassword(u), ...(reason && { reason }) },
  });

  it('Scenario: a task given to one person by attest:assignee is theirs alone', async () => {
    const instance = await start();
    const clean = taskAt(instance, 'clean');
    const listed = (await ctx.engine.tasks.list(oscar, { instanceId: instance.id })).map((t) => t.id);
    assert.deepEqual(listed, [clean]);
    assert.equal((await ctx.engine.tasks.list(olivia, { instanceId: instance.id })).length, 0);
    await assert.rejects(ctx.engine.tasks.claim(olivia, clean), /Only oscar may work on this task/);
    const task = (await ctx.engine.tasks.list(oscar, { instanceId: instance.id }))[0]!;
    assert.equal(task.candidateUser, 'oscar');
  });

  it('B1: a signed step is not completed without the password, nor with a wrong one; nothing changes', async () => {
    const instance = await start();
    const clean = taskAt(instance, 'clean');
    await assert.rejects(ctx.engine.tasks.complete(oscar, clean, {}), /your password is required/);
    await assert.rejects(
      ctx.engine.tasks.complete(oscar, clean, { signature: { password: 'wrong-Password-1' } }),
    );
    const after = await ctx.engine.processes.get(quinn, instance.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.elementId),
      ['clean'],
    );
    assert.equal((await ctx.engine.signatures.list(quinn, instance.id, 'instance')).length, 0);
  });

  it('B5: who performed a step, or started the record, may not approve it (attest:separateFrom)', async () => {
    const instance = await ctx.engine.processes.start(quinn, 'cleaningRecord', {
      variables: { cleaner: 'oscar' },
    });
    const done = await ctx.engine.tasks.complete(oscar, taskAt(instance, 'clean'), sign('oscar'));
    const check = taskAt(done, 'check');
    // quinn started it: the initiator may not check it
    await assert.rejects(
      ctx.engine.tasks.complete(quinn, check, { variables: { accepted: true }, ...sign('quinn') }),
      /started this record and may not also Check the room/,
    );
    const closed = await ctx.engine.tasks.complete(petra, check, {
      variables: { accepted: true },
      ...sign('petra'),
    });
    assert.equal(closed.status, 'completed');
    const signatures = await ctx.engine.signatures.list(quinn, instance.id, 'instance');
    assert.deepEqual(
      signatures.map((s) => [s.manifestation.userId, s.meaning]),
      [
        ['oscar', 'Performed'],
        ['petra', 'Approved'],
      ],
    );
    assert.ok(signatures.every((s) => s.covers !== null && !s.contentChanged));
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('B3: a rejection is signed as Rejected and needs a reason', async () => {
    const instance = await start();
    const done = await ctx.engine.tasks.complete(oscar, taskAt(instance, 'clean'), sign('oscar'));
    const check = taskAt(done, 'check');
    await assert.rejects(
      ctx.engine.tasks.complete(petra, check, { variables: { accepted: false }, ...sign('petra') }),
      /A reason is required to reject/,
    );
    const back = await ctx.engine.tasks.complete(petra, check, {
      variables: { accepted: false },
      ...sign('petra', 'Residue on the mixer blade'),
    });
    assert.deepEqual(
      back.openTasks.map((t) => t.elementId),
      ['clean'],
    );
    const rejected = (await ctx.engine.signatures.list(quinn, instance.id, 'instance')).at(-1)!;
    assert.equal(rejected.meaning, 'Rejected');
    assert.equal(rejected.reason, 'Residue on the mixer blade');
    // the same performer cleans again: the task is given by the variable again
    assert.equal((await ctx.engine.tasks.list(oscar, { instanceId: instance.id })).length, 1);
  });

  it('a signature on a step the model does not sign is refused', async () => {
    const instance = await start();
    const done = await ctx.engine.tasks.complete(oscar, taskAt(instance, 'clean'), sign('oscar'));
    assert.ok(done.openTasks.length === 1);
    await assert.rejects(
      ctx.engine.processes.deploy(
        quinn,
        `<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="t">
          <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="t1"/>
          <bpmn:userTask id="t1" attest:separateFrom="nowhere" attest:rejectWhen="x"/><bpmn:sequenceFlow id="b" sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/></bpmn:process></bpmn:definitions>`,
      ),
      (error: Error) =>
        /attest:separateFrom names "nowhere", which is no user task here/.test(error.message) &&
        /attest:rejectWhen needs attest:signatureMeaning/.test(error.message),
    );
  });

  it('an assignee expression that gives no user name stops the step as an incident, with the reason', async () => {
    const graph = (await compileBpmn(fixture('signed-steps.bpmn'))).processes[0]!;
    assert.equal(graph.nodes.clean!.userTask!.assignee, 'cleaner');
    assert.deepEqual(graph.nodes.check!.userTask!.separateFrom, ['clean', 'initiator']);
    const instance = await ctx.engine.processes.start(olivia, 'cleaningRecord', {
      variables: { cleaner: 7 },
    });
    assert.equal(instance.status, 'incident');
    const [incident] = await ctx.engine.incidents.list(quinn, instance.id);
    assert.match(incident!.message, /The assignee "cleaner" gave 7, not a user name/);
  });
});
