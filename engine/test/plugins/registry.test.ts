import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  type Principal,
  type PluginRoot,
} from '../../src/index.ts';
import { verifyTampered } from '../support/tampering.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

/** Writes a plugin package: its package.json with the `"attest"` manifest given, and its entry. */
async function writePlugin(
  dir: string,
  name: string,
  attest: unknown,
  entry = 'export const handlers = {};\n',
) {
  const folder = join(dir, name.replace('@', '').replace('/', '-'));
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', attest }),
  );
  await writeFile(join(folder, 'index.js'), entry);
  return folder;
}

describe('Feature: plugins are registered with version and hash, and enabling one is an e-signed change (G2)', () => {
  let ctx: TestContext;
  let adrian: Principal;
  let quinn: Principal;
  let dir: string;
  let roots: PluginRoot[];
  let goodFolder: string;

  before(async () => {
    ctx = await startTestEngine();
    adrian = await loginAs(ctx.engine, 'adrian');
    quinn = await loginAs(ctx.engine, 'quinn');
    dir = await mkdtemp(join(tmpdir(), 'attest-plugins-'));
    roots = [{ dir, source: 'folder' }];
    goodFolder = await writePlugin(dir, '@plant/erp-handlers', {
      apiVersion: 1,
      kind: 'handler',
      entry: './index.js',
    });
    await writePlugin(dir, 'robot-arm', { apiVersion: 9, kind: 'robot', entry: 'index.js' });
    await mkdir(join(dir, 'not-a-plugin'));
    await writeFile(join(dir, 'not-a-plugin', 'package.json'), JSON.stringify({ name: 'left-pad' }));
  });
  after(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  const trailOf = async (name: string) => {
    const row = await ctx.engine.database.knex('plugins').where({ name }).first('id');
    return ctx.engine.audit.trail(adrian, { recordId: row.id });
  };
  const enable = (who: Principal, password = demoPassword(who.username as 'adrian')) =>
    ctx.engine.plugins.enable(who, '@plant/erp-handlers', {
      password,
      reason: 'ERP interface validated, VAL-0042',
    });

  it('G2, C4: discovery registers each plugin with its version and SHA-256, refuses an invalid manifest with the reason, and audits both', async () => {
    const found = await ctx.engine.plugins.sync(roots);
    assert.deepEqual(
      found.map((p) => [p.name, p.version, p.state, p.kind]),
      [
        ['@plant/erp-handlers', '1.0.0', 'disabled', 'handler'],
        ['robot-arm', '1.0.0', 'invalid', null],
      ],
      'a package without an attest field is no plugin',
    );
    assert.match(found[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(found[1]!.problems, [
      'attest.kind must be equal to one of the allowed values',
      'attest.entry must match pattern "^\\./[^\\0]+$"',
    ]);
    assert.deepEqual(
      (await trailOf('@plant/erp-handlers')).map((e) => [e.type, e.payload.sha256]),
      [['plugin.discovered', found[0]!.sha256]],
    );
    assert.deepEqual(
      (await trailOf('robot-arm')).map((e) => e.type),
      ['plugin.refused'],
    );
    await ctx.engine.plugins.sync(roots);
    assert.equal((await trailOf('@plant/erp-handlers')).length, 1, 'nothing new found, nothing written');
    assert.deepEqual(await ctx.engine.plugins.loadable(), [], 'nothing is loaded before it is enabled');
  });

  it('G2: only an administrator enables a plugin, with the password again; a refused plugin cannot be enabled; each refusal writes nothing', async () => {
    const before = (await trailOf('@plant/erp-handlers')).length;
    await assert.rejects(enable(quinn), NotAllowedError);
    await assert.rejects(enable(adrian, 'not my password'), AuthenticationError);
    await assert.rejects(
      ctx.engine.plugins.enable(adrian, 'robot-arm', { password: demoPassword('adrian') }),
      (e: Error) => e instanceof ConflictError && /robot-arm is refused: attest.kind/.test(e.message),
    );
    await assert.rejects(
      ctx.engine.plugins.disable(adrian, '@plant/erp-handlers', {
        password: demoPassword('adrian'),
        reason: ' ',
      }),
      InputError,
    );
    assert.equal((await trailOf('@plant/erp-handlers')).length, before);
    assert.equal((await ctx.engine.plugins.list(adrian))[0]!.state, 'disabled');
    await assert.rejects(ctx.engine.plugins.list(quinn), NotAllowedError);
  });

  it('G2, C4: enabled with a signature over its name, version and hash, it is loaded, and loading is audited', async () => {
    const view = await enable(adrian);
    assert.equal(view.state, 'enabled');
    assert.deepEqual(
      [view.enabled?.version, view.enabled?.sha256, view.enabled?.by?.username],
      ['1.0.0', view.sha256, 'adrian'],
    );
    const row = await ctx.engine.database.knex('plugins').where({ name: '@plant/erp-handlers' }).first('id');
    const [signature] = await ctx.engine.signatures.list(adrian, row.id);
    assert.deepEqual(
      [signature?.id, signature?.meaning, signature?.reason],
      [view.enabled?.signatureId, 'Approved', 'ERP interface validated, VAL-0042'],
    );
    await assert.rejects(enable(adrian), /enabled already/);
    const loadable = await ctx.engine.plugins.loadable();
    assert.deepEqual(
      loadable.map((p) => [p.name, p.kind, p.entry, p.path]),
      [['@plant/erp-handlers', 'handler', './index.js', goodFolder]],
    );
    await ctx.engine.plugins.loaded('@plant/erp-handlers');
    assert.deepEqual(
      (await trailOf('@plant/erp-handlers')).map((e) => e.type),
      ['plugin.discovered', 'signature.applied', 'plugin.enabled', 'plugin.loaded'],
    );
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('G2: a plugin changed since it was enabled (one byte of its entry) is not loaded until enabled again, and each refusal is audited', async () => {
    await writeFile(join(goodFolder, 'index.js'), 'export const handlers = {}; \n');
    const [changed] = await ctx.engine.plugins.sync(roots);
    assert.equal(changed!.state, 'changed');
    assert.notEqual(changed!.sha256, changed!.enabled?.sha256);
    assert.deepEqual(await ctx.engine.plugins.loadable(), []);
    const refused = (await trailOf('@plant/erp-handlers')).filter((e) => e.type === 'plugin.refused');
    assert.equal(refused.length, 1);
    assert.match(
      refused[0]!.payload.reason as string,
      /changed since it was enabled .*: it must be enabled again/,
    );
    assert.deepEqual(
      (await trailOf('@plant/erp-handlers')).slice(-2).map((e) => e.type),
      ['plugin.changed', 'plugin.refused'],
    );

    assert.equal((await enable(adrian)).state, 'enabled');
    assert.equal((await ctx.engine.plugins.loadable()).length, 1);
    const disabled = await ctx.engine.plugins.disable(adrian, '@plant/erp-handlers', {
      password: demoPassword('adrian'),
      reason: 'Interface retired',
    });
    assert.deepEqual([disabled.state, disabled.enabled], ['disabled', null]);
    assert.deepEqual(await ctx.engine.plugins.loadable(), []);
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('G2: the database owner enabling a plugin, or changing the hash enabled, without the signed act is found by verify', async () => {
    for (const tamper of [
      (db: Knex.Transaction) =>
        db('plugins')
          .where({ name: 'robot-arm' })
          .update({
            problems: '[]',
            enabled_version: '1.0.0',
            enabled_sha256: 'f'.repeat(64),
            signature_id: db.raw('(SELECT id FROM signatures LIMIT 1)'),
          }),
      (db: Knex.Transaction) =>
        db('plugins')
          .where({ name: '@plant/erp-handlers' })
          .update({ sha256: 'e'.repeat(64) }),
    ]) {
      const report = await verifyTampered(ctx, tamper);
      assert.ok(
        report.mismatches.some((m) => m.table === 'plugins'),
        JSON.stringify(report.mismatches),
      );
    }
  });
});
