import assert from 'node:assert/strict';
import type { Principal } from '../../src/index.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { fixturePackage } from './fixturePackage.ts';

function sample(version: string): TemplatePackage {
  const pkg = fixturePackage();
  return {
    ...pkg,
    manifest: { ...pkg.manifest, id: 'spill', version, roles: ['operator'], qualifications: {} },
    process: pkg.process
      .replace('id="deviation"', 'id="spill"')
      .replace('attest:candidateRoles="author"', 'attest:candidateRoles="operator"'),
  };
}

describe('Feature: the lifecycle of a template version, as the database keeps it', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let petra: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
  });
  after(() => ctx.close());

  it('D1: every transition is an event of the version, and a signature covers exactly the package approved', async () => {
    const { templates } = ctx.engine;
    await templates.import(quinn, { files: packageFiles(sample('1.0.0')) });
    await templates.submit(quinn, 'spill', '1.0.0');
    await assert.rejects(
      templates.approve(petra, 'spill', '1.0.0', { password: 'not-her-Password-1' }),
      /password/i,
    );
    assert.equal((await templates.get(quinn, 'spill', '1.0.0')).status, 'in_review');
    await templates.approve(petra, 'spill', '1.0.0', { password: demoPassword('petra') });
    const effective = await templates.makeEffective(quinn, 'spill', '1.0.0');
    assert.equal(effective.status, 'effective');
    const history = await templates.history(quinn, 'spill', '1.0.0');
    assert.deepEqual(
      history.map((e) => `${e.type}:${e.actorName}`),
      [
        'template.imported:Quinn Quaye',
        'template.submitted:Quinn Quaye',
        'template.approved:Petra Pohl',
        'signature.applied:Petra Pohl',
        'template.made_effective:Quinn Quaye',
      ],
    );
    const [signature] = await ctx.engine.signatures.list(quinn, effective.id, 'template');
    assert.equal(signature!.meaning, 'Approved');
    assert.equal(signature!.contentChanged, false);
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('D2: a template whose process a message could start, without a record, is refused at import', async () => {
    const pkg = sample('2.0.0');
    const process = pkg.process
      .replace(
        '<startEvent id="start" />',
        '<startEvent id="start"><messageEventDefinition messageRef="m" /></startEvent>',
      )
      .replace('</definitions>', '<message id="m" name="spill.reported" /></definitions>');
    await assert.rejects(
      ctx.engine.templates.import(quinn, { files: packageFiles({ ...pkg, process }) }),
      /start starts the process by a message; a template's process starts only as a record/,
    );
  });

  it('D3: the database refuses a change to a released version, even from its owner', async () => {
    const row = await ctx.asOwner((db) =>
      db('template_versions').where({ template_id: 'spill' }).first('id'),
    );
    await assert.rejects(
      ctx.asOwner((db) =>
        db('template_versions')
          .where({ id: row.id })
          .update({ files: JSON.stringify({ 'README.md': 'changed' }) }),
      ),
      /its content cannot change/,
    );
    await assert.rejects(
      ctx.asOwner((db) => db('template_versions').where({ id: row.id }).delete()),
      /refuse|not allowed|cannot/i,
    );
  });

  it('C3: a status changed around the engine is found by verify', async () => {
    await ctx.asOwner((db) =>
      db('template_versions').where({ template_id: 'spill', version: '1.0.0' }).update({ status: 'retired' }),
    );
    const report = await ctx.engine.verify();
    assert.equal(report.ok, false);
    assert.ok(
      report.mismatches.some(
        (m) =>
          m.table === 'template_versions' &&
          /spill 1\.0\.0: status differs from its audit trail/.test(m.problem),
      ),
    );
    await ctx.asOwner((db) =>
      db('template_versions')
        .where({ template_id: 'spill', version: '1.0.0' })
        .update({ status: 'effective' }),
    );
    assert.equal((await ctx.engine.verify()).ok, true);
  });
});
