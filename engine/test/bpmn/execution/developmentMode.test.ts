import assert from 'node:assert/strict';
import { createEngine, NotAllowedError, NotFoundError, type Engine } from '../../../src/index.ts';
import { loginAs, startTestEngine, TEST_SETTINGS, type TestContext } from '../../support/testEngine.ts';
import { deploy, fixture } from './support.ts';

/**
 * Processes deployed in development mode, on a database that then runs in production (the same
 * database, an engine without development mode): none of them runs again, however it would start.
 */
describe('Feature: processes of development mode do not run in production', () => {
  let ctx: TestContext;
  let production: Engine;
  before(async () => {
    ctx = await startTestEngine();
    production = createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: { ...TEST_SETTINGS, development: false },
    });
  });
  after(() => ctx.close());

  const instances = async () =>
    Number(
      ((await ctx.engine.database.knex('process_instances').count({ n: '*' })) as { n: string }[])[0]!.n,
    );

  it('D2: no direct deployment or start, no start by a message or a timer, no migration of an instance that is no record', async () => {
    const quinn = await loginAs(ctx.engine, 'quinn');
    const olivia = await loginAs(ctx.engine, 'olivia');
    // Given processes deployed and an instance started in development mode
    const v1 = await deploy(ctx.engine, quinn, 'migration-v1.bpmn');
    const running = await ctx.engine.processes.start(olivia, v1.key, {});
    const v2 = await deploy(ctx.engine, quinn, 'migration-v2.bpmn');
    await deploy(ctx.engine, quinn, 'messages-complaint-start.bpmn');
    await deploy(ctx.engine, quinn, 'timers-cleaning-round.bpmn');
    const before = await instances();

    // When the same database runs in production
    await assert.rejects(production.processes.deploy(quinn, fixture('no-default.bpmn')), NotAllowedError);
    await assert.rejects(production.processes.start(olivia, v1.key, {}), NotAllowedError);
    await assert.rejects(
      production.processes.migrate(quinn, running.id, { targetDefinitionId: v2.id, dryRun: true }),
      NotAllowedError,
    );
    await assert.rejects(
      production.processes.messages.correlate(quinn, { name: 'Complaint received' }),
      NotFoundError,
    );
    ctx.clock.advance(61);
    await production.jobs.runDue();

    // Then nothing started; the timer start that fell due is cancelled, not left to fire later
    assert.equal(await instances(), before);
    ctx.clock.advance(61);
    assert.equal(await ctx.engine.jobs.runDue(), 0);
    assert.equal(await instances(), before);
  });
});
