import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: inclusive gateways split by conditions and join what can arrive', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      ['inclusive-tests.bpmn', 'inclusive-unstructured.bpmn'],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const history = (id: string) => ctx.engine.processes.history(quinn, id);
  const created = async (id: string, elementId: string) =>
    (await history(id)).filter((e) => e.type === 'task.created' && e.payload.elementId === elementId).length;
  const waiting = (instance: { activeElements: { elementId: string; waitsFor: string }[] }) =>
    instance.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort();

  describe('Split', () => {
    it('Scenario: every flow whose condition holds is taken; the join waits for all of them', async () => {
      // Given a sterile product with a potency claim
      const started = await ctx.engine.processes.start(olivia, 'chooseTests', {
        variables: { sterile: true, potencyClaim: 100 },
      });
      // Then both tests run, and the visual inspection (the default) does not
      assert.deepEqual(await open(started.id), ['assay', 'micro']);
      const decided = (await history(started.id)).find((e) => e.type === 'gateway.decided');
      assert.deepEqual(decided?.payload, { elementId: 'which', flowIds: ['toMicro', 'toAssay'] });
      // When sterility is tested, the join waits for the assay
      const one = await ctx.engine.tasks.complete(olivia, taskAt(started, 'micro'));
      assert.deepEqual(waiting(one), ['assay:task', 'merge:join']);
      // When the assay is tested, the report opens once
      const both = await ctx.engine.tasks.complete(olivia, taskAt(one, 'assay'));
      assert.deepEqual(waiting(both), ['report:task']);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(both, 'report'));
      assert.equal(done.status, 'completed');
      assert.equal(await created(started.id, 'report'), 1);
    });

    it('Scenario: one condition holds; only its flow is taken, not the default', async () => {
      const started = await ctx.engine.processes.start(olivia, 'chooseTests', {
        variables: { sterile: true },
      });
      assert.deepEqual(await open(started.id), ['micro']);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'micro'));
      assert.deepEqual(waiting(done), ['report:task']);
    });

    it('Scenario: the default flow is taken only when no condition holds', async () => {
      // Given a non-sterile product without a potency claim
      const started = await ctx.engine.processes.start(olivia, 'chooseTests', {
        variables: { sterile: false },
      });
      // Then only the visual inspection runs, and the join goes on with it alone
      assert.deepEqual(await open(started.id), ['visual']);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'visual'));
      assert.deepEqual(waiting(done), ['report:task']);
    });

    it('Scenario: no condition holds and there is no default: an incident, retried after correction', async () => {
      // Given a product that needs no test the strict gateway knows
      const started = await ctx.engine.processes.start(olivia, 'chooseTestsStrict', {
        variables: { sterile: false },
      });
      // Then the instance holds an incident at the split, not a silent stop or completion
      assert.equal(started.status, 'incident');
      assert.deepEqual(
        started.incidents.map((i) => i.elementId),
        ['sWhich'],
      );
      const [incident] = await ctx.engine.incidents.list(quinn, started.id);
      assert.match(incident!.message, /No outgoing flow matches and there is no default flow/);
      // When the product data is corrected and the incident retried
      const retried = await ctx.engine.incidents.retry(quinn, incident!.id, {
        reason: 'Corrected after the incident',
        variables: { potencyClaim: 98 },
      });
      // Then the split takes the flow that now holds
      assert.equal(retried.status, 'active');
      assert.deepEqual(
        retried.openTasks.map((t) => t.elementId),
        ['sAssay'],
      );
      const done = await ctx.engine.tasks.complete(olivia, taskAt(retried, 'sAssay'));
      assert.equal(done.status, 'completed');
    });
  });

  describe('Join in an unstructured model', () => {
    it('Scenario: tokens from two different splits and a loop; the join waits for every token that can still arrive', async () => {
      // Given a deviation being documented and assessed at once
      const started = await ctx.engine.processes.start(olivia, 'deviationActions');
      assert.deepEqual(await open(started.id), ['assess', 'document']);
      // When the documentation is done first, the join waits: the assessment may still send tokens
      const documented = await ctx.engine.tasks.complete(olivia, taskAt(started, 'document'));
      assert.deepEqual(waiting(documented), ['assess:task', 'closure:join']);
      // When the assessment asks for retraining and a recheck
      const assessed = await ctx.engine.tasks.complete(quinn, taskAt(documented, 'assess'), {
        variables: { retraining: true, recheckNeeded: true },
      });
      assert.deepEqual(waiting(assessed), ['closure:join', 'recheck:task', 'retrain:task']);
      // When the retraining is done, the join still waits for the recheck
      const retrained = await ctx.engine.tasks.complete(olivia, taskAt(assessed, 'retrain'));
      assert.deepEqual(waiting(retrained), ['closure:join', 'closure:join', 'recheck:task']);
      // When the recheck fails, it loops back, and the join keeps waiting
      const failed = await ctx.engine.tasks.complete(olivia, taskAt(retrained, 'recheck'), {
        variables: { recheckPassed: false },
      });
      assert.deepEqual(waiting(failed), ['closure:join', 'closure:join', 'recheck:task']);
      // When the recheck passes, the join fires exactly once
      const passed = await ctx.engine.tasks.complete(olivia, taskAt(failed, 'recheck'), {
        variables: { recheckPassed: true },
      });
      assert.deepEqual(waiting(passed), ['close:task']);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(passed, 'close'));
      assert.equal(done.status, 'completed');
      assert.equal(await created(started.id, 'close'), 1);
      assert.equal((await ctx.engine.verify()).ok, true);
    });

    it('Scenario: the assessment sends only a recheck; the join then waits for the documentation', async () => {
      const started = await ctx.engine.processes.start(olivia, 'deviationActions');
      const assessed = await ctx.engine.tasks.complete(quinn, taskAt(started, 'assess'), {
        variables: { retraining: false, recheckNeeded: true },
      });
      const passed = await ctx.engine.tasks.complete(olivia, taskAt(assessed, 'recheck'), {
        variables: { recheckPassed: true },
      });
      // Then the join holds the recheck's token until the documentation arrives
      assert.deepEqual(waiting(passed), ['closure:join', 'document:task']);
      const documented = await ctx.engine.tasks.complete(olivia, taskAt(passed, 'document'));
      assert.deepEqual(waiting(documented), ['close:task']);
      assert.equal(await created(started.id, 'close'), 1);
    });

    it('Scenario: a branch drawn with a link pair is still waited for', async () => {
      // Given a deviation whose assessment reaches the join through a link throw and catch event
      const started = await ctx.engine.processes.start(olivia, 'deviationActionsLinked');
      // When the documentation is done first
      const documented = await ctx.engine.tasks.complete(olivia, taskAt(started, 'lDocument'));
      // Then the join waits for the assessment, which can still arrive by the link
      assert.deepEqual(waiting(documented), ['lAssess:task', 'lClosure:join']);
      // When the assessment is done, the closure opens exactly once
      const assessed = await ctx.engine.tasks.complete(quinn, taskAt(documented, 'lAssess'));
      assert.deepEqual(waiting(assessed), ['lClose:task']);
      assert.equal(await created(started.id, 'lClose'), 1);
    });
  });
});
