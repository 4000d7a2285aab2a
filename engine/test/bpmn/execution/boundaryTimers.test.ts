import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { fixture, scenarioEngine, taskAt } from './support.ts';

describe('Feature: timer boundary events on user tasks', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ({ ctx, olivia, quinn, petra } = await scenarioEngine(
      ['olivia', 'quinn', 'petra'],
      ['overdue-triage.bpmn'],
    ));
  });
  after(() => ctx.close());

  const elements = async (id: string) =>
    (await ctx.engine.processes.get(quinn, id)).openTasks.map((t) => t.elementId).sort();

  it('Scenario: a task done in time ends its timers; nothing fires later', async () => {
    const started = await ctx.engine.processes.start(olivia, 'overdueTriage');
    const done = await ctx.engine.tasks.complete(quinn, taskAt(started, 'triage'));
    assert.equal(done.status, 'completed');
    ctx.clock.advance(25 * 60);
    assert.equal(await ctx.engine.jobs.runDue(), 0);
    const types = (await ctx.engine.processes.history(quinn, started.id)).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'timer.scheduled').length, 2);
    assert.equal(types.filter((t) => t === 'timer.fired').length, 0);
  });

  it('Scenario: after 8 hours a reminder runs beside the task; after 24 hours the task is escalated', async () => {
    // Given a triage nobody has done
    const started = await ctx.engine.processes.start(olivia, 'overdueTriage');
    const triage = taskAt(started, 'triage');
    // When 8 hours pass, then a reminder is added and the triage stays open (non-interrupting)
    ctx.clock.advance(8 * 60 + 1);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    assert.deepEqual(await elements(started.id), ['reminder', 'triage']);
    // When 24 hours pass, then the triage is cancelled and escalated to the QP (interrupting)
    ctx.clock.advance(16 * 60);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    assert.deepEqual(await elements(started.id), ['escalate', 'reminder']);
    await assert.rejects(ctx.engine.tasks.complete(quinn, triage), /cancelled already/);
    const escalated = await ctx.engine.processes.get(petra, started.id);
    const afterEscalation = await ctx.engine.tasks.complete(petra, taskAt(escalated, 'escalate'));
    assert.equal(afterEscalation.status, 'active', 'the reminder is still open');
    const closed = await ctx.engine.tasks.complete(quinn, taskAt(afterEscalation, 'reminder'));
    assert.equal(closed.status, 'completed');
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('refuses boundary events that are not attached to an activity', async () => {
    const onGateway = fixture('approval.bpmn')
      .replace('id="approval"', 'id="boundaryOnGateway"')
      .replace(
        '<sequenceFlow id="f3" sourceRef="classify" targetRef="route" />',
        '<sequenceFlow id="f3" sourceRef="classify" targetRef="route" /><boundaryEvent id="late" attachedToRef="route"><timerEventDefinition><timeDuration xsi:type="tFormalExpression">PT1H</timeDuration></timerEventDefinition></boundaryEvent>',
      );
    await assert.rejects(ctx.engine.processes.deploy(quinn, onGateway), /late bpmn:BoundaryEvent/);
  });
});
