import assert from 'node:assert/strict';
import { ConflictError, NotAllowedError, type Principal } from '../../../src/index.ts';
import { createColleague, type TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: user tasks, FEEL script tasks and exclusive gateways', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ({ ctx, olivia, quinn, petra } = await scenarioEngine(
      ['olivia', 'quinn', 'petra'],
      ['approval.bpmn', 'no-default.bpmn'],
    ));
  });
  after(() => ctx.close());

  it('Scenario: a critical deviation is routed to the qualified person', async () => {
    // Given a deviation reported by an operator
    const started = await ctx.engine.processes.start(olivia, 'approval', {
      variables: { severity: 'critical', impact: 1 },
      businessKey: 'DEV-1',
    });
    assert.equal(started.status, 'active');
    const triage = taskAt(started, 'triage');
    const [listed] = await ctx.engine.tasks.list(quinn, { instanceId: started.id });
    assert.deepEqual(listed!.candidateRoles, ['qa']);
    assert.equal(Date.parse(listed!.dueAt!) - Date.parse(listed!.createdAt), 8 * 3600_000);
    assert.deepEqual(
      await ctx.engine.tasks.list(olivia, { instanceId: started.id }),
      [],
      'operators do not see QA work',
    );
    // When the operator tries QA's task, then it is refused
    await assert.rejects(ctx.engine.tasks.complete(olivia, triage), NotAllowedError);
    // When QA completes triage, then the script classifies it critical and the gateway routes to the QP
    const triaged = await ctx.engine.tasks.complete(quinn, triage, { variables: { impact: 2 } });
    assert.equal(triaged.variables.critical, true);
    const qp = taskAt(triaged, 'qp');
    await assert.rejects(ctx.engine.tasks.complete(quinn, qp), NotAllowedError);
    // When the QP completes the assessment, then the instance is completed
    const closed = await ctx.engine.tasks.complete(petra, qp);
    assert.equal(closed.status, 'completed');
    assert.ok(closed.endedAt);
    const history = await ctx.engine.processes.history(quinn, started.id);
    assert.deepEqual(
      history.map((e) => e.type),
      [
        'process.started',
        'task.created',
        'task.completed',
        'script.evaluated',
        'gateway.decided',
        'task.created',
        'task.completed',
        'process.completed',
      ],
    );
    assert.deepEqual(history[2]!.payload.changes, [{ path: '/impact', old: 1, new: 2 }]);
    assert.equal(history[2]!.actorName, 'Quinn Quaye');
    assert.deepEqual(history[4]!.payload, { elementId: 'route', flowId: 'f4' });
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: a minor deviation takes the default flow and closes after triage', async () => {
    const started = await ctx.engine.processes.start(olivia, 'approval', {
      variables: { severity: 'minor', impact: 1 },
    });
    const closed = await ctx.engine.tasks.complete(quinn, taskAt(started, 'triage'));
    assert.equal(closed.variables.critical, false);
    assert.equal(closed.status, 'completed');
    await assert.rejects(ctx.engine.tasks.complete(quinn, taskAt(started, 'triage')), ConflictError);
  });

  it('Scenario: a claimed task is worked on by the one who claimed it', async () => {
    const started = await ctx.engine.processes.start(olivia, 'approval', {
      variables: { severity: 'minor', impact: 0 },
    });
    const triage = taskAt(started, 'triage');
    const claimed = await ctx.engine.tasks.claim(quinn, triage);
    assert.equal(claimed.assignee, quinn.userId);
    const { principal: quentin } = await createColleague(ctx, 'quentin', ['qa']);
    await assert.rejects(ctx.engine.tasks.complete(quentin, triage), /claimed by someone else/);
    await assert.rejects(ctx.engine.tasks.claim(quentin, triage), /claimed by someone else/);
    const history = await ctx.engine.processes.history(quinn, started.id);
    assert.equal(history.at(-1)!.type, 'task.claimed');
    assert.equal((await ctx.engine.tasks.complete(quinn, triage)).status, 'completed');
  });

  it('Scenario: no outgoing flow matches: an incident, not a silent stop; retried after a correction', async () => {
    // Given a quantity no flow of the gateway accepts
    const started = await ctx.engine.processes.start(olivia, 'noDefault', { variables: { quantity: 50 } });
    // Then the instance holds an incident at the gateway
    assert.equal(started.status, 'incident');
    assert.deepEqual(
      started.incidents.map((i) => i.elementId),
      ['route'],
    );
    const [incident] = await ctx.engine.incidents.list(quinn, started.id);
    assert.match(incident!.message, /No outgoing flow matches/);
    // When QA corrects the quantity and retries, then it goes on
    const retried = await ctx.engine.incidents.retry(quinn, incident!.id, {
      reason: 'Corrected after the incident',
      variables: { quantity: 5 },
    });
    assert.equal(retried.status, 'active');
    taskAt(retried, 'small');
    assert.deepEqual(await ctx.engine.incidents.list(quinn, started.id), []);
    await assert.rejects(ctx.engine.incidents.retry(quinn, incident!.id), ConflictError);
    const types = (await ctx.engine.processes.history(quinn, started.id)).map((e) => e.type);
    assert.deepEqual(types, [
      'process.started',
      'incident.raised',
      'incident.retried',
      'gateway.decided',
      'task.created',
    ]);
  });

  it('refuses variables that are not a JSON object, changing nothing', async () => {
    await assert.rejects(
      ctx.engine.processes.start(olivia, 'approval', { variables: [] as never }),
      /must be a JSON object/,
    );
    await assert.rejects(
      ctx.engine.processes.start(olivia, 'approval', { variables: { x: Number.NaN } }),
      /must be JSON values/,
    );
    await assert.rejects(
      ctx.engine.processes.start(olivia, 'nothing-deployed'),
      /No process with key nothing-deployed/,
    );
  });
});
