import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Principal } from '@attest/engine';
import { pino } from 'pino';
import {
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from '../../../engine/test/support/testEngine.ts';
import { WORKSPACE_PLUGINS } from '../../src/paths.ts';
import { loadPlugins } from '../../src/plugins.ts';

const silent = pino({ level: 'silent' });
const roots = [{ dir: WORKSPACE_PLUGINS, source: 'workspace' as const }];

describe('Feature: a workspace handler plugin, TypeScript sources, loaded as enabled and run by a model', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;

  before(async () => {
    ctx = await startTestEngine();
    const adrian = await loginAs(ctx.engine, 'adrian');
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    await ctx.engine.plugins.sync(roots);
    await ctx.engine.plugins.enable(adrian, '@attest/handler-gs1', {
      password: demoPassword('adrian'),
      reason: 'Validated, VAL-0101',
    });
    await loadPlugins(ctx.engine, roots, silent);
    const bpmn = readFileSync(new URL('./gs1-receipt.bpmn', import.meta.url), 'utf8');
    await ctx.engine.processes.deploy(quinn, bpmn);
  });
  after(() => ctx.close());

  const receive = async (code: string) => {
    const started = await ctx.engine.processes.start(olivia, 'goodsReceipt', { variables: { code } });
    assert.equal(await ctx.engine.jobs.runDue(), 1);
    return ctx.engine.processes.get(quinn, started.id);
  };

  it('G2: the entry src/index.ts is imported and its handlers read a scanned code into variables', async () => {
    const done = await receive('(01)09506000134352(17)281231(10)L-7(21)S1');
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      [done.variables.gtin, done.variables.lot, done.variables.expiry, done.variables.serial],
      ['09506000134352', 'L-7', '2028-12-31', 'S1'],
    );
  });

  it('the BPMN error the plugin throws, from its own copy of the plugin API, is caught on the boundary', async () => {
    const caught = await receive('not a code');
    assert.equal(caught.status, 'active');
    assert.deepEqual(
      caught.openTasks.map((t) => t.elementId),
      ['typeIt'],
    );
  });
});
