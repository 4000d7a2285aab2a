import assert from 'node:assert/strict';
import { ConflictError, NotAllowedError, type Principal } from '../../../src/index.ts';
import { loginAs, type TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: signal events', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      [
        'signals-line-release.bpmn',
        'signals-recall-start.bpmn',
        'signals-area-cleared.bpmn',
        'signals-temperature-alarm.bpmn',
      ],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const broadcast = (name: string, variables?: Record<string, unknown>) =>
    ctx.engine.processes.signals.broadcast(quinn, { name, variables });
  /** Instances with an open task at the element, as the principal sees them. */
  const instancesAt = async (principal: Principal, elementId: string) =>
    (await ctx.engine.tasks.list(principal))
      .filter((t) => t.elementId === elementId)
      .map((t) => t.instanceId);

  describe('Intermediate signal catch event', () => {
    it('Scenario: one broadcast reaches every instance waiting for the signal, with its variables', async () => {
      // Given three batches waiting for the line to be released
      const batches = [];
      for (const batch of ['B-1', 'B-2', 'B-3']) {
        batches.push(await ctx.engine.processes.start(olivia, 'awaitLineRelease', { variables: { batch } }));
      }
      assert.deepEqual(batches[0]!.activeElements, [{ elementId: 'released', waitsFor: 'signal' }]);
      // When the line is released once
      const result = await broadcast('Line released', { releasedBy: 'quinn' });
      // Then all three move on, each with the signal's variables and its own
      assert.deepEqual(result, { triggered: 3, started: 0 });
      for (const [i, started] of batches.entries()) {
        const instance = await get(started.id);
        assert.deepEqual(
          instance.openTasks.map((t) => t.elementId),
          ['resume'],
        );
        assert.deepEqual(instance.variables, { batch: `B-${i + 1}`, releasedBy: 'quinn' });
        const received = (await ctx.engine.processes.history(quinn, started.id)).find(
          (e) => e.type === 'signal.received',
        );
        assert.equal(received?.actorName, 'Quinn Quaye');
      }
      // And a second broadcast finds nobody: the signal is not kept for later
      assert.deepEqual(await broadcast('Line released'), { triggered: 0, started: 0 });
      const later = await ctx.engine.processes.start(olivia, 'awaitLineRelease', {
        variables: { batch: 'B-4' },
      });
      assert.deepEqual(later.activeElements, [{ elementId: 'released', waitsFor: 'signal' }]);
      assert.deepEqual(await broadcast('Line released'), { triggered: 1, started: 0 });
      assert.deepEqual(await open(later.id), ['resume']);
    });

    it('Scenario: a signal nobody waits for is no error and changes nothing', async () => {
      assert.deepEqual(await broadcast('Nobody listens'), { triggered: 0, started: 0 });
    });

    it('Scenario: broadcasting needs the authority to edit records', async () => {
      const petra = await loginAs(ctx.engine, 'petra');
      await assert.rejects(
        ctx.engine.processes.signals.broadcast(petra, { name: 'Line released' }),
        NotAllowedError,
      );
    });
  });

  describe('Signal start event', () => {
    it('Scenario: a recall starts the recall response and stops shipping in the same broadcast', async () => {
      // Given an order being shipped
      const shipping = await ctx.engine.processes.start(olivia, 'recallAwareShipping');
      const ship = taskAt(shipping, 'ship');
      const before = await instancesAt(quinn, 'quarantine');
      // When a recall is announced
      const result = await broadcast('Recall announced', { product: 'Tablets 10 mg' });
      // Then one recall response starts, with the signal's variables, and the shipping is held
      assert.deepEqual(result, { triggered: 1, started: 1 });
      const started = (await instancesAt(quinn, 'quarantine')).filter((id) => !before.includes(id));
      assert.equal(started.length, 1);
      const response = await get(started[0]!);
      assert.equal(response.key, 'recallResponse');
      assert.equal(response.businessKey, null);
      assert.deepEqual(response.variables, { product: 'Tablets 10 mg' });
      const first = (await ctx.engine.processes.history(quinn, response.id))[0]!;
      assert.equal(first.type, 'process.started');
      assert.equal(first.payload.signal, 'Recall announced');
      assert.deepEqual(await open(shipping.id), ['hold']);
      await assert.rejects(ctx.engine.tasks.complete(olivia, ship), /cancelled already/);
      // When a second recall is announced, then a second response starts; shipping is not hit twice
      assert.deepEqual(await broadcast('Recall announced'), { triggered: 0, started: 1 });
      assert.equal((await instancesAt(quinn, 'quarantine')).filter((id) => !before.includes(id)).length, 2);
    });

    it('Scenario: a process that starts only by a signal cannot be started by hand', async () => {
      await assert.rejects(ctx.engine.processes.start(olivia, 'recallResponse'), ConflictError);
    });
  });

  describe('Intermediate signal throw event', () => {
    it('Scenario: clearing the area tells every instance waiting for it, through the job worker', async () => {
      // Given two teams waiting for the area to be cleared
      const teamA = await ctx.engine.processes.start(olivia, 'awaitAreaCleared');
      const teamB = await ctx.engine.processes.start(olivia, 'awaitAreaCleared');
      const clearing = await ctx.engine.processes.start(olivia, 'clearArea');
      // When the area is cleared: the throw event passes at once, the thrower goes on
      const cleared = await ctx.engine.tasks.complete(olivia, taskAt(clearing, 'clear'));
      assert.deepEqual(cleared.activeElements, [{ elementId: 'log', waitsFor: 'task' }]);
      const thrown = (await ctx.engine.processes.history(quinn, clearing.id)).find(
        (e) => e.type === 'signal.thrown',
      );
      assert.deepEqual(thrown?.payload, { elementId: 'announce', name: 'Area cleared' });
      // Then the teams hear of it when the job worker runs the throw
      assert.deepEqual(await open(teamA.id), []);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      assert.deepEqual(await open(teamA.id), ['enter']);
      assert.deepEqual(await open(teamB.id), ['enter']);
      const received = (await ctx.engine.processes.history(quinn, teamA.id)).find(
        (e) => e.type === 'signal.received',
      );
      assert.equal(received?.actorId, null, 'received as an act of the system');
      // And the thrower is not affected, and nothing is left to run
      assert.deepEqual(await open(clearing.id), ['log']);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
      assert.deepEqual(await ctx.engine.jobs.failed(quinn, clearing.id), []);
    });

    it('Scenario: a thrown signal reaches only the instances that waited when it was thrown', async () => {
      // Given the area cleared while nobody waits for it (the throw is still to be run by the worker)
      const clearing = await ctx.engine.processes.start(olivia, 'clearArea');
      await ctx.engine.tasks.complete(olivia, taskAt(clearing, 'clear'));
      // When a team starts waiting only afterwards (a millisecond later at least: within the same
      // millisecond as the throw a waiter counts as waiting), and then the worker runs
      ctx.clock.advance(1 / 60_000);
      const late = await ctx.engine.processes.start(olivia, 'awaitAreaCleared');
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then the late team still waits: a signal is a broadcast at the moment it is thrown, not kept
      assert.deepEqual((await get(late.id)).activeElements, [{ elementId: 'clearedIn', waitsFor: 'signal' }]);
      // (the next clearance releases it)
      assert.deepEqual(await broadcast('Area cleared'), { triggered: 1, started: 0 });
    });

    it('Scenario: a thrown signal nobody waits for is no failure', async () => {
      const clearing = await ctx.engine.processes.start(olivia, 'clearArea');
      await ctx.engine.tasks.complete(olivia, taskAt(clearing, 'clear'));
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      assert.deepEqual(await ctx.engine.jobs.failed(quinn, clearing.id), []);
    });
  });

  describe('Non-interrupting signal event sub-process', () => {
    it('Scenario: each alarm runs a temperature check beside the packing; the instance waits for all', async () => {
      // Given a batch being packed
      const started = await ctx.engine.processes.start(olivia, 'packagingWithAlarms');
      const pack = taskAt(started, 'pack');
      // When two temperature alarms are raised
      assert.deepEqual(await broadcast('Temperature alarm', { celsius: 27 }), { triggered: 1, started: 0 });
      assert.deepEqual(await broadcast('Temperature alarm', { celsius: 29 }), { triggered: 1, started: 0 });
      // Then the packing goes on and each alarm has its own check
      assert.deepEqual(await open(started.id), ['checkTemperature', 'checkTemperature', 'pack']);
      const instance = await get(started.id);
      assert.equal(instance.variables.celsius, 29);
      const subStarts = (await ctx.engine.processes.history(quinn, started.id)).filter(
        (e) => e.type === 'subprocess.started',
      );
      assert.deepEqual(
        subStarts.map((e) => e.payload),
        [1, 2].map(() => ({ elementId: 'onAlarm', trigger: 'signal', interrupting: false })),
      );
      // When the packing is done, then the instance waits for the checks
      const packed = await ctx.engine.tasks.complete(olivia, pack);
      assert.equal(packed.status, 'active');
      assert.deepEqual(
        packed.openTasks.map((t) => t.elementId),
        ['checkTemperature', 'checkTemperature'],
      );
      // And while checks run the process is still active, so its event sub-process still listens
      assert.deepEqual(await broadcast('Temperature alarm', { celsius: 30 }), { triggered: 1, started: 0 });
      const checks = (await get(started.id)).openTasks;
      assert.deepEqual(
        checks.map((t) => t.elementId),
        ['checkTemperature', 'checkTemperature', 'checkTemperature'],
      );
      // When every check is done, the instance completes and stops listening
      for (const check of checks.slice(0, 2)) await ctx.engine.tasks.complete(quinn, check.id);
      const done = await ctx.engine.tasks.complete(quinn, checks[2]!.id);
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.activeElements, []);
      assert.deepEqual(await broadcast('Temperature alarm'), { triggered: 0, started: 0 });
    });

    it('Scenario: a batch packed without an alarm completes and stops listening', async () => {
      const started = await ctx.engine.processes.start(olivia, 'packagingWithAlarms');
      assert.deepEqual(started.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'alarmStart:signal',
        'pack:task',
      ]);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(started, 'pack'));
      assert.equal(done.status, 'completed');
      assert.deepEqual(await broadcast('Temperature alarm'), { triggered: 0, started: 0 });
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });
});
