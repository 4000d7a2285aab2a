import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEngine,
  openDatabase,
  seedDemoUsers,
  type Engine,
  type Principal,
} from '../../../src/index.ts';
import {
  createTestDatabase,
  loginAs,
  onServer,
  startTestEngine,
  TEST_SETTINGS,
  TestClock,
  type TestContext,
} from '../../support/testEngine.ts';
import { fixture, taskAt } from './support.ts';

describe('Feature: timers', () => {
  let ctx: TestContext;
  let olivia: Principal;
  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    await ctx.engine.processes.deploy(await loginAs(ctx.engine, 'quinn'), fixture('hold-time.bpmn'));
  });
  after(() => ctx.close());

  it('Scenario: a hold time fires when it is due, not before, as an act of the system', async () => {
    // Given a granulation finished, so the two-hour hold starts
    const started = await ctx.engine.processes.start(olivia, 'holdTime', {
      variables: { settleTime: 'PT30M' },
    });
    const holding = await ctx.engine.tasks.complete(olivia, taskAt(started, 'granulate'));
    assert.deepEqual(holding.openTasks, []);
    // When an hour has passed, then nothing fires
    ctx.clock.advance(60);
    assert.equal(await ctx.engine.jobs.runDue(), 0);
    // When the two hours are over, then the hold ends and the FEEL timer of 30 minutes starts
    ctx.clock.advance(61);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    assert.deepEqual((await ctx.engine.processes.get(olivia, started.id)).openTasks, []);
    ctx.clock.advance(31);
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    const released = await ctx.engine.processes.get(olivia, started.id);
    taskAt(released, 'release');
    const history = await ctx.engine.processes.history(olivia, started.id);
    const fired = history.filter((e) => e.type === 'timer.fired');
    assert.deepEqual(
      fired.map((e) => [e.payload.elementId, e.actorId, e.actorName]),
      [
        ['hold', null, 'Attest (system)'],
        ['settle', null, 'Attest (system)'],
      ],
    );
    const scheduled = history.find((e) => e.type === 'timer.scheduled' && e.payload.elementId === 'hold')!;
    assert.equal(Date.parse(scheduled.payload.dueAt as string) - Date.parse(scheduled.at), 2 * 3600_000);
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('refuses timers it cannot read, at deployment', async () => {
    const quinn = await loginAs(ctx.engine, 'quinn');
    const bad = fixture('hold-time.bpmn').replace('>PT2H<', '>two hours<').replace('holdTime', 'badHold');
    await assert.rejects(ctx.engine.processes.deploy(quinn, bad), /"two hours" is not an ISO 8601 duration/);
    const cycle = fixture('hold-time.bpmn')
      .replace(
        '<timeDuration xsi:type="tFormalExpression">PT2H</timeDuration>',
        '<timeCycle xsi:type="tFormalExpression">R3/PT1H</timeCycle>',
      )
      .replace('holdTime', 'cycleHold');
    await assert.rejects(
      ctx.engine.processes.deploy(quinn, cycle),
      /a repeating timer \(timeCycle\) is only allowed on timer start events/,
    );
  });
});

describe('Feature: timers survive restarts and are fired once', () => {
  it('Scenario: a timer due while the runtime was down fires after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attest-timer-'));
    const server = onServer()
      ? await createTestDatabase()
      : { options: { dataDir: dir }, drop: async () => {} };
    const clock = new TestClock();
    const open = async () =>
      createEngine({ database: await openDatabase(server.options), settings: TEST_SETTINGS, clock });
    try {
      let engine: Engine = await open();
      await seedDemoUsers(engine.identity, { demo: true });
      let olivia = await loginAs(engine, 'olivia');
      await engine.processes.deploy(await loginAs(engine, 'quinn'), fixture('hold-time.bpmn'));
      const started = await engine.processes.start(olivia, 'holdTime', { variables: { settleTime: 'PT1M' } });
      await engine.tasks.complete(olivia, taskAt(started, 'granulate'));
      await engine.close();

      // The runtime is down for three hours.
      clock.advance(180);
      engine = await open();
      olivia = await loginAs(engine, 'olivia');
      assert.equal(await engine.jobs.runDue(), 1);
      clock.advance(2);
      assert.equal(await engine.jobs.runDue(), 1);
      taskAt(await engine.processes.get(olivia, started.id), 'release');
      assert.equal(await engine.jobs.runDue(), 0, 'nothing fires twice');
      await engine.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.drop();
    }
  });

  it('Scenario: two runtime processes take due timers: each fires exactly once', async function () {
    if (!onServer()) this.skip();
    const ctx = await startTestEngine();
    const second = createEngine({
      database: await openDatabase({ ...ctx.options, migrate: false }),
      settings: TEST_SETTINGS,
      clock: ctx.clock,
    });
    try {
      const olivia = await loginAs(ctx.engine, 'olivia');
      await ctx.engine.processes.deploy(await loginAs(ctx.engine, 'quinn'), fixture('hold-time.bpmn'));
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const started = await ctx.engine.processes.start(olivia, 'holdTime', {
          variables: { settleTime: 'PT1M' },
        });
        await ctx.engine.tasks.complete(olivia, taskAt(started, 'granulate'));
        ids.push(started.id);
      }
      ctx.clock.advance(121);
      const [a, b] = await Promise.all([ctx.engine.jobs.runDue(), second.jobs.runDue()]);
      assert.equal(a + b, 12);
      for (const id of ids) {
        const fired = (await ctx.engine.processes.history(olivia, id)).filter(
          (e) => e.type === 'timer.fired',
        );
        assert.equal(fired.length, 1);
      }
      assert.equal((await ctx.engine.verify()).ok, true);
    } finally {
      await second.close();
      await ctx.close();
    }
  });
});
