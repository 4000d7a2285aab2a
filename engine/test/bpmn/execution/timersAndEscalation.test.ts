import assert from 'node:assert/strict';
import type { Principal } from '../../../src/index.ts';
import type { TestContext } from '../../support/testEngine.ts';
import { deploy, fixture, scenarioEngine, taskAt } from './support.ts';

describe('Feature: repeating timers, timer start events, links and escalations', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ({ ctx, olivia, quinn, petra } = await scenarioEngine(
      ['olivia', 'quinn', 'petra'],
      [
        'timers-hourly-inspection.bpmn',
        'link-weighing.bpmn',
        'escalation-batch-review.bpmn',
        'escalation-cleaning.bpmn',
        'escalation-uncaught.bpmn',
        'escalation-called.bpmn',
      ],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const types = async (id: string) => (await ctx.engine.processes.history(quinn, id)).map((e) => e.type);
  const count = (list: string[], type: string) => list.filter((t) => t === type).length;

  describe('Timer cycle on a non-interrupting boundary event', () => {
    it('Scenario: R3/PT1H fires exactly three times beside the task, then stops', async () => {
      // Given a batch on stability hold, inspected every hour three times
      const started = await ctx.engine.processes.start(olivia, 'hourlyInspection');
      assert.deepEqual(started.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'hold:task',
        'hourly:timer',
      ]);
      // When less than an hour passes, nothing fires
      ctx.clock.advance(59);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      // When each of the next three hours passes, one inspection is added and the hold stays open
      for (let hour = 1; hour <= 3; hour++) {
        ctx.clock.advance(hour === 1 ? 2 : 60);
        assert.equal(await ctx.engine.jobs.runDue(), 1, `hour ${hour}`);
        const inspections = (await open(started.id)).filter((e) => e === 'inspect');
        assert.equal(inspections.length, hour);
      }
      // Then the cycle is spent: no timer waits any more, and later hours add nothing
      const afterThree = await get(started.id);
      assert.deepEqual(
        afterThree.activeElements.filter((e) => e.waitsFor === 'timer'),
        [],
      );
      for (let hour = 0; hour < 3; hour++) {
        ctx.clock.advance(61);
        assert.equal(await ctx.engine.jobs.runDue(), 0);
      }
      const history = await types(started.id);
      assert.equal(count(history, 'timer.fired'), 3);
      assert.equal(count(history, 'timer.scheduled'), 3);
      assert.deepEqual(await open(started.id), ['hold', 'inspect', 'inspect', 'inspect']);
      // When the hold and the inspections are done, the instance completes
      let instance = afterThree;
      for (const task of afterThree.openTasks) {
        instance = await ctx.engine.tasks.complete(task.elementId === 'hold' ? quinn : olivia, task.id);
      }
      assert.equal(instance.status, 'completed');
    });

    it('Scenario: the hold ends after the first inspection; the remaining repetitions are cancelled', async () => {
      const started = await ctx.engine.processes.start(olivia, 'hourlyInspection');
      ctx.clock.advance(61);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      const held = await ctx.engine.tasks.complete(quinn, taskAt(started, 'hold'));
      assert.deepEqual(held.activeElements, [{ elementId: 'inspect', waitsFor: 'task' }]);
      ctx.clock.advance(5 * 60);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.equal(count(await types(started.id), 'timer.fired'), 1);
    });

    it('Scenario: a repetition keeps its schedule when the job worker runs late', async () => {
      // Given a hold started at T, to be inspected at T+1h, T+2h and T+3h
      const started = await ctx.engine.processes.start(olivia, 'hourlyInspection');
      try {
        // When the worker only gets to the first inspection at T+1h30
        ctx.clock.advance(90);
        assert.equal(await ctx.engine.jobs.runDue(), 1);
        // Then the second inspection is still due at T+2h, not an hour after the late run
        ctx.clock.advance(31);
        assert.equal(await ctx.engine.jobs.runDue(), 1, 'the inspection due at T+2h');
        assert.equal((await open(started.id)).filter((e) => e === 'inspect').length, 2);
      } finally {
        // The hold ends, so no repetition is left for the scenarios after this one
        const instance = await get(started.id);
        await ctx.engine.tasks.complete(quinn, taskAt(instance, 'hold'));
      }
    });
  });

  describe('Timer start event with a cycle', () => {
    it('Scenario: instances start when due; a new version stops the old version timer', async () => {
      const cleaningTasks = async () =>
        (await ctx.engine.tasks.list(olivia)).filter((t) => t.elementId === 'clean').map((t) => t.instanceId);
      // Given the cleaning round deployed with a start every hour, three times
      const v1 = await deploy(ctx.engine, quinn, 'timers-cleaning-round.bpmn');
      assert.equal(v1.version, 1);
      // When nearly an hour passes, nothing starts
      ctx.clock.advance(59);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.deepEqual(await cleaningTasks(), []);
      // When the hour is due, one round starts, as an act of the system
      ctx.clock.advance(2);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      const [firstId] = await cleaningTasks();
      assert.ok(firstId);
      const first = await get(firstId);
      assert.equal(first.version, 1);
      const startedEvent = (await ctx.engine.processes.history(quinn, firstId))[0]!;
      assert.equal(startedEvent.type, 'process.started');
      assert.equal(startedEvent.payload.timer, 'tick');
      assert.equal(startedEvent.actorId, null);
      // When version 2 is deployed, starting every two hours once
      const { definitions } = await ctx.engine.processes.deploy(
        quinn,
        fixture('timers-cleaning-round.bpmn').replace('R3/PT1H', 'R1/PT2H').replace('three times', 'once'),
      );
      assert.equal(definitions[0]!.version, 2);
      // Then the old version's next start (due an hour after the first) does not happen
      ctx.clock.advance(61);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.equal((await cleaningTasks()).length, 1);
      // And the new version starts when its own timer is due, once
      ctx.clock.advance(60);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      const ids = await cleaningTasks();
      assert.equal(ids.length, 2);
      const second = await get(ids.find((id) => id !== firstId)!);
      assert.equal(second.version, 2);
      ctx.clock.advance(5 * 60);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.equal((await cleaningTasks()).length, 2);
      for (const id of ids) {
        const instance = await get(id);
        await ctx.engine.tasks.complete(olivia, taskAt(instance, 'clean'));
      }
      assert.equal((await ctx.engine.verify()).ok, true);
    });

    it('Scenario: timer starts keep their schedule when the job worker runs late', async () => {
      // Given a round deployed at T that starts at T+1h and T+2h
      await ctx.engine.processes.deploy(
        quinn,
        fixture('timers-cleaning-round.bpmn')
          .replace('id="cleaningRound"', 'id="lateCleaningRound"')
          .replace('R3/PT1H', 'R2/PT1H')
          .replaceAll('"clean"', '"cleanLate"'),
      );
      const rounds = async () =>
        (await ctx.engine.tasks.list(olivia)).filter((t) => t.elementId === 'cleanLate');
      try {
        // When the worker only gets to the first start at T+1h30
        ctx.clock.advance(90);
        assert.equal(await ctx.engine.jobs.runDue(), 1);
        // Then the second start is still due at T+2h
        ctx.clock.advance(31);
        assert.equal(await ctx.engine.jobs.runDue(), 1, 'the start due at T+2h');
        assert.equal((await rounds()).length, 2);
      } finally {
        // Whatever is left of the cycle runs out, and the rounds are done
        ctx.clock.advance(120);
        await ctx.engine.jobs.runDue();
        for (const task of await rounds()) await ctx.engine.tasks.complete(olivia, task.id);
      }
    });
  });

  describe('Link events', () => {
    it('Scenario: the flow jumps from the link throw to its catch, and back again for a re-weigh', async () => {
      // Given a weighing
      const started = await ctx.engine.processes.start(olivia, 'linkedWeighing');
      // When the weight is out of range, the flow goes to the review page and back to weighing
      const heavy = await ctx.engine.tasks.complete(olivia, taskAt(started, 'weigh'), {
        variables: { weight: 12 },
      });
      assert.deepEqual(heavy.activeElements, [{ elementId: 'weigh', waitsFor: 'task' }]);
      assert.equal(count(await types(started.id), 'task.created'), 2);
      // When the weight is fine, the flow jumps to review
      const fine = await ctx.engine.tasks.complete(olivia, taskAt(heavy, 'weigh'), {
        variables: { weight: 9 },
      });
      assert.deepEqual(fine.activeElements, [{ elementId: 'review', waitsFor: 'task' }]);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(fine, 'review'));
      assert.equal(done.status, 'completed');
    });
  });

  describe('Escalation events', () => {
    it('Scenario: an escalation inside a sub-process, caught by a non-interrupting boundary: both paths go on', async () => {
      // Given a batch record under review
      const started = await ctx.engine.processes.start(olivia, 'batchReviewEscalation');
      // When the reviewer asks the QP (an escalation thrown inside the sub-process)
      const asked = await ctx.engine.tasks.complete(quinn, taskAt(started, 'check'));
      // Then the review goes on and the QP is asked beside it
      assert.deepEqual(await open(started.id), ['finish', 'qpOpinion']);
      const history = await ctx.engine.processes.history(quinn, started.id);
      assert.deepEqual(history.find((e) => e.type === 'escalation.caught')?.payload, {
        elementId: 'qpAsked',
        code: 'NEEDS_QP',
      });
      // When the review is finished, the sub-process completes and the record is archived
      const finished = await ctx.engine.tasks.complete(quinn, taskAt(asked, 'finish'));
      assert.deepEqual(finished.openTasks.map((t) => t.elementId).sort(), ['archive', 'qpOpinion']);
      // When the QP gives the opinion and the record is archived, the instance completes
      const opinion = await ctx.engine.tasks.complete(petra, taskAt(finished, 'qpOpinion'));
      assert.equal(opinion.status, 'active');
      const done = await ctx.engine.tasks.complete(quinn, taskAt(opinion, 'archive'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: an escalation end event caught by an interrupting boundary ends the whole sub-process', async () => {
      // Given a cleaning with swabbing and documentation open in parallel
      const started = await ctx.engine.processes.start(olivia, 'cleaningValidation');
      assert.deepEqual(await open(started.id), ['document', 'swab']);
      const document = taskAt(started, 'document');
      // When the swab finds residue above the limit
      const dirty = await ctx.engine.tasks.complete(olivia, taskAt(started, 'swab'), {
        variables: { residue: 12 },
      });
      // Then the sub-process is interrupted: the documentation is cancelled, the room is cleaned again
      assert.deepEqual(dirty.activeElements, [{ elementId: 'reclean', waitsFor: 'task' }]);
      await assert.rejects(ctx.engine.tasks.complete(olivia, document), /cancelled already/);
      const history = await types(started.id);
      assert.ok(history.includes('escalation.caught'));
      assert.equal(count(history, 'subprocess.completed'), 0);
      // And the room is not released
      const done = await ctx.engine.tasks.complete(olivia, taskAt(dirty, 'reclean'));
      assert.equal(done.status, 'completed');
      const created = (await ctx.engine.processes.history(quinn, started.id))
        .filter((e) => e.type === 'task.created')
        .map((e) => e.payload.elementId);
      assert.ok(!created.includes('release'));
    });

    it('Scenario: a clean swab ends the sub-process normally and the room is released', async () => {
      const started = await ctx.engine.processes.start(olivia, 'cleaningValidation');
      const swabbed = await ctx.engine.tasks.complete(olivia, taskAt(started, 'swab'), {
        variables: { residue: 2 },
      });
      assert.deepEqual(
        swabbed.openTasks.map((t) => t.elementId),
        ['document'],
      );
      const documented = await ctx.engine.tasks.complete(olivia, taskAt(swabbed, 'document'));
      assert.deepEqual(
        documented.openTasks.map((t) => t.elementId),
        ['release'],
      );
      const done = await ctx.engine.tasks.complete(quinn, taskAt(documented, 'release'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: an escalation thrown in a called process is caught on the call activity (non-interrupting)', async () => {
      // Given a release whose assay runs as a called process
      const started = await ctx.engine.processes.start(olivia, 'releaseWithAssay');
      // When the assay reports an out-of-specification result (an escalation nothing in it catches)
      while ((await ctx.engine.jobs.runDue()) > 0);
      const history = await ctx.engine.processes.history(quinn, started.id);
      const childId = history.find((e) => e.type === 'call.started')!.payload.childInstanceId as string;
      const child = await get(childId);
      assert.deepEqual(
        child.openTasks.map((t) => t.elementId),
        ['retest'],
        'the assay goes on',
      );
      // Then the caller opens an investigation beside the running assay
      assert.deepEqual(
        (await get(started.id)).activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(),
        ['assay:call', 'investigate:task'],
      );
    });

    it('Scenario: an escalation nobody catches is recorded and the flow goes on', async () => {
      // Given a process that escalates with nobody to catch it
      const started = await ctx.engine.processes.start(olivia, 'uncaughtEscalation');
      // When the first step is done: an intermediate escalation, then an escalation end event in a sub-process
      const after = await ctx.engine.tasks.complete(olivia, taskAt(started, 'first'));
      // Then both are recorded, nothing catches them, and the flow reaches the second step
      assert.equal(after.status, 'active');
      assert.deepEqual(after.activeElements, [{ elementId: 'second', waitsFor: 'task' }]);
      assert.deepEqual(after.incidents, []);
      const history = await ctx.engine.processes.history(quinn, started.id);
      assert.deepEqual(
        history.filter((e) => e.type === 'escalation.thrown').map((e) => e.payload),
        [
          { elementId: 'tell', code: 'FYI' },
          { elementId: 'innerEnd', code: 'FYI' },
        ],
      );
      assert.equal(
        count(
          history.map((e) => e.type),
          'escalation.caught',
        ),
        0,
      );
      const done = await ctx.engine.tasks.complete(olivia, taskAt(after, 'second'));
      assert.equal(done.status, 'completed');
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });
});
