import assert from 'node:assert/strict';
import type { Principal } from '../../src/index.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { fixturePackage } from './fixturePackage.ts';

/** The fixture package for the roles that exist here, with no qualifications (not enforced yet). */
function sample(version = '1.0.0'): TemplatePackage {
  const pkg = fixturePackage();
  return {
    ...pkg,
    manifest: { ...pkg.manifest, version, roles: ['operator', 'qa'], qualifications: {} },
    process: pkg.process.replace('attest:candidateRoles="author"', 'attest:candidateRoles="operator"'),
  };
}

describe('Feature: records started from templates, numbered without gaps', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let petra: Principal;
  let olivia: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    olivia = await loginAs(ctx.engine, 'olivia');
  });
  after(() => ctx.close());

  async function effective(pkg: TemplatePackage) {
    const { templates } = ctx.engine;
    const { id } = pkg.manifest;
    const { version } = pkg.manifest;
    await templates.import(quinn, { files: packageFiles(pkg) });
    await templates.submit(quinn, id, version);
    await templates.approve(petra, id, version, { password: demoPassword('petra') });
    return templates.makeEffective(quinn, id, version);
  }

  it('D2: no record starts before a version is effective', async () => {
    await ctx.engine.templates.import(quinn, { files: packageFiles(sample('0.9.0')) });
    await assert.rejects(
      ctx.engine.records.start(olivia, { template: 'deviation', title: 'Too early' }),
      /has no effective version: only an effective version starts records/,
    );
    await assert.rejects(
      ctx.engine.records.start(olivia, { template: 'nothing', title: 'x' }),
      /There is no template nothing/,
    );
  });

  it('D2: numbering stays unique and gap-free with 32 concurrent record starts; a failed start gives its number back', async () => {
    await effective(sample());
    const year = ctx.clock.now().getUTCFullYear();
    const started = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        ctx.engine.records.start(olivia, { template: 'deviation', title: `Deviation ${i + 1}` }),
      ),
    );
    const numbers = started.map((r) => r.number).sort();
    assert.deepEqual(
      numbers,
      Array.from({ length: 32 }, (_, i) => `DEV-${year}-${String(i + 1).padStart(4, '0')}`),
    );
    // A start that fails after taking its number rolls the number back with it
    await assert.rejects(
      ctx.engine.records.start(olivia, {
        template: 'deviation',
        title: 'Too much data',
        variables: { notes: 'x'.repeat(1_100_000) },
      }),
      /Variables are too large/,
    );
    const next = await ctx.engine.records.start(olivia, { template: 'deviation', title: 'Next one' });
    assert.equal(next.number, `DEV-${year}-0033`);
    // Every record is pinned to its version, carries its own instance and shows in the list
    assert.ok(started.every((r) => r.template?.version === '1.0.0' && r.instanceId && r.status === 'open'));
    const listed = await ctx.engine.records.list(quinn, {
      template: 'deviation',
      status: 'open',
      limit: 200,
    });
    assert.equal(listed.total, 33);
    const found = await ctx.engine.records.list(quinn, { number: `${year}-0007` });
    assert.deepEqual(
      found.records.map((r) => r.id),
      started.filter((r) => r.number.endsWith('-0007')).map((r) => r.id),
    );
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('lists overdue records, by owner and by due date', async () => {
    const record = await ctx.engine.records.start(olivia, { template: 'deviation', title: 'Late one' });
    assert.ok(record.dueAt);
    assert.equal((await ctx.engine.records.list(quinn, { overdue: true })).total, 0);
    ctx.clock.advance(31 * 24 * 60);
    const overdue = await ctx.engine.records.list(quinn, { overdue: true, limit: 200 });
    assert.ok(overdue.records.some((r) => r.id === record.id && r.overdue));
    assert.equal(
      (await ctx.engine.records.list(quinn, { owner: 'olivia', limit: 1 })).records[0]!.owner!.username,
      'olivia',
    );
    const due = await ctx.engine.records.list(quinn, { dueBefore: new Date().toISOString() });
    assert.equal(due.total, 0);
  });

  it('D2: a template process starts only as a record, not directly', async () => {
    await assert.rejects(
      ctx.engine.processes.start(olivia, 'deviation'),
      /belongs to the template deviation: start a record from its effective version/,
    );
  });
});
