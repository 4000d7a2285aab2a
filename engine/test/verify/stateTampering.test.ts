import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { Principal, VerifyReport } from '../../src/index.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { verifyDatabase } from '../../src/verify/verifyDatabase.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { fixturePackage } from '../templates/fixturePackage.ts';

/** The fixture deviation with a signed report step (its form raises an exception) and a QA review after it. */
function signedDeviation(): TemplatePackage {
  const pkg = fixturePackage();
  return {
    ...pkg,
    manifest: { ...pkg.manifest, roles: ['operator', 'qa'], qualifications: {} },
    process: pkg.process
      .replace(
        'attest:candidateRoles="author" />',
        'attest:candidateRoles="operator" attest:signatureMeaning="Performed" />',
      )
      .replace(
        '<sequenceFlow id="f2" sourceRef="report" targetRef="severity" />',
        `<sequenceFlow id="f2" sourceRef="report" targetRef="review" />
    <userTask id="review" name="Review the deviation" attest:candidateRoles="qa" />
    <sequenceFlow id="f2b" sourceRef="review" targetRef="severity" />`,
      ),
  };
}

const ROLLED_BACK = new Error('rolled back');

describe('Feature: verify proves the current state from the audit trail, table by table', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let petra: Principal;
  let adrian: Principal;
  let recordId: string;
  let instanceId: string;
  let reportTask: string;
  let reviewTask: string;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    quinn = await loginAs(ctx.engine, 'quinn');
    petra = await loginAs(ctx.engine, 'petra');
    adrian = await loginAs(ctx.engine, 'adrian');
    const { templates, records, tasks, identity } = ctx.engine;

    // A template made effective through review and approval, a record started from it
    await templates.import(quinn, { files: packageFiles(signedDeviation()) });
    await templates.submit(quinn, 'deviation', '1.0.0');
    await templates.approve(petra, 'deviation', '1.0.0', { password: demoPassword('petra') });
    await templates.makeEffective(quinn, 'deviation', '1.0.0');
    const record = await records.start(olivia, { template: 'deviation', title: 'Fridge too warm' });
    recordId = record.id;
    instanceId = record.instanceId!;

    // Its report step completed with values (one beyond its action limit) and signed
    reportTask = (await tasks.list(olivia, { instanceId }))[0]!.id;
    await tasks.complete(olivia, reportTask, {
      data: { title: 'Fridge 3 at 9 °C', temperature: 9, notes: 'Door left open' },
      confirmed: ['/temperature'],
      signature: { password: demoPassword('olivia') },
    });
    // The review step claimed by QA
    reviewTask = (await tasks.list(quinn, { instanceId }))[0]!.id;
    await tasks.claim(quinn, reviewTask);

    // Security administration: a role changed, a user created with roles
    await identity.defineRole(
      adrian,
      {
        name: 'trainer',
        title: 'Trainer',
        description: 'Keeps training records',
        permissions: ['audit.read'],
      },
      { password: demoPassword('adrian'), reason: 'Training team' },
    );
    await identity.createUser(
      adrian,
      { username: 'tina', printedName: 'Tina Trainer', roles: ['trainer'] },
      { password: demoPassword('adrian'), reason: 'New trainer' },
    );
  });
  after(() => ctx.close());

  /**
   * Tampers as the database owner inside a transaction, verifies what that transaction sees and
   * rolls it back: each attack starts from the same untouched database.
   */
  async function verifyTampered(tamper: (db: Knex.Transaction) => Promise<unknown>): Promise<VerifyReport> {
    let report: VerifyReport | undefined;
    await ctx
      .asOwner((db) =>
        db.transaction(async (trx) => {
          await tamper(trx);
          report = await verifyDatabase(trx as unknown as Knex);
          throw ROLLED_BACK;
        }),
      )
      .catch((error: unknown) => {
        if (error !== ROLLED_BACK) throw error;
      });
    return report!;
  }

  async function expectDetected(
    table: string,
    column: string,
    tamper: (db: Knex.Transaction) => Promise<unknown>,
  ): Promise<void> {
    const report = await verifyTampered(tamper);
    assert.equal(report.ok, false, `verify did not notice a changed ${table}.${column}`);
    assert.deepEqual(report.breaks, [], 'the hash chains themselves are intact');
    const found = report.mismatches.find((m) => m.table === table);
    assert.ok(found, `no mismatch names ${table}: ${JSON.stringify(report.mismatches)}`);
    assert.match(found.problem, new RegExp(`${column}|has no`), JSON.stringify(found));
  }

  it('C3: verify finds the untouched database consistent, every row attested', async () => {
    const report = await ctx.engine.verify();
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual(report.unattested, []);
    assert.equal(report.ok, true);
    // The rollback of a tampering leaves it so
    await verifyTampered((db) => db('records').where({ id: recordId }).update({ title: 'x' }));
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('C3: verify detects a changed users.password_hash', () =>
    expectDetected('users', 'password_hash', async (db) => {
      const { password_hash } = await db('users').where({ username: 'olivia' }).first('password_hash');
      await db('users').where({ username: 'oscar' }).update({ password_hash });
    }));

  it('C3: verify detects a changed users.password_changed_at', () =>
    expectDetected('users', 'password_changed_at', (db) =>
      db('users')
        .where({ username: 'olivia' })
        .update({ password_changed_at: new Date(Date.now() + 365 * 86_400_000) }),
    ));

  it('C3: verify detects a changed users.printed_name', () =>
    expectDetected('users', 'printed_name', (db) =>
      db('users').where({ username: 'olivia' }).update({ printed_name: 'Someone Else' }),
    ));

  it('C3: verify detects a changed users.active', () =>
    expectDetected('users', 'active', (db) =>
      db('users').where({ username: 'oscar' }).update({ active: false }),
    ));

  it('C3: verify detects a changed users.locked_at', () =>
    expectDetected('users', 'locked_at', (db) =>
      db('users').where({ username: 'adrian' }).update({ locked_at: new Date() }),
    ));

  it('C3: verify detects a changed users.must_change_password', () =>
    expectDetected('users', 'must_change_password', (db) =>
      db('users').where({ username: 'petra' }).update({ must_change_password: true }),
    ));

  it('C3: verify detects an inserted user_roles admin grant', () =>
    expectDetected('user_roles', 'holds admin', async (db) => {
      const { id } = await db('users').where({ username: 'olivia' }).first('id');
      await db('user_roles').insert({ user_id: id, role: 'admin', granted_at: new Date(), granted_by: null });
    }));

  it('C3: verify detects a deleted user_roles grant', () =>
    expectDetected('user_roles', 'lacks trainer', async (db) => {
      const { id } = await db('users').where({ username: 'tina' }).first('id');
      await db('user_roles').where({ user_id: id }).delete();
    }));

  it('C3: verify detects a changed roles.permissions', () =>
    expectDetected('roles', 'permissions', (db) =>
      db.raw(
        `UPDATE roles SET permissions = array_append(permissions, 'templates.approve') WHERE name = 'admin'`,
      ),
    ));

  it('C3: verify detects a changed roles.title', () =>
    expectDetected('roles', 'title', (db) =>
      db('roles').where({ name: 'trainer' }).update({ title: 'Boss' }),
    ));

  it('C3: verify detects a changed records.title', () =>
    expectDetected('records', 'title', (db) =>
      db('records').where({ id: recordId }).update({ title: 'Nothing happened' }),
    ));

  it('C3: verify detects a changed records.owner_id', () =>
    expectDetected('records', 'owner_id', async (db) => {
      const { id } = await db('users').where({ username: 'oscar' }).first('id');
      await db('records').where({ id: recordId }).update({ owner_id: id });
    }));

  it('C3: verify detects a changed records.template_version_id', () =>
    expectDetected('records', 'template_version_id', (db) =>
      db('records').where({ id: recordId }).update({ template_version_id: null }),
    ));

  it('C3: verify detects a changed records.status', () =>
    expectDetected('records', 'status', (db) =>
      db('records').where({ id: recordId }).update({ status: 'voided' }),
    ));

  it('C3: verify detects a changed process_definitions.xml', () =>
    expectDetected('process_definitions', 'xml', async (db) => {
      await db.raw('ALTER TABLE process_definitions DISABLE TRIGGER process_definitions_immutable');
      await db.raw(
        `UPDATE process_definitions SET xml = replace(xml, 'candidateRoles="qa"', 'candidateRoles="operator"')`,
      );
    }));

  it('C3: verify detects a changed process_definitions.graph', () =>
    expectDetected('process_definitions', 'graph', async (db) => {
      await db.raw('ALTER TABLE process_definitions DISABLE TRIGGER process_definitions_immutable');
      await db.raw(
        `UPDATE process_definitions SET graph = jsonb_set(graph, '{nodes,review,userTask,candidateRoles}', '["operator"]')`,
      );
    }));

  it('C3: verify detects a changed process_instances.variables', () =>
    expectDetected('process_instances', 'variables', (db) =>
      db.raw(`UPDATE process_instances SET variables = variables || '{"temperature": 5}' WHERE id = ?`, [
        instanceId,
      ]),
    ));

  it('C3: verify detects a changed process_instances.tokens', () =>
    expectDetected('process_instances', 'tokens', (db) =>
      db.raw(`UPDATE process_instances SET tokens = '[]' WHERE id = ?`, [instanceId]),
    ));

  it('C3: verify detects a changed process_instances.status', () =>
    expectDetected('process_instances', 'status', (db) =>
      db('process_instances').where({ id: instanceId }).update({ status: 'completed' }),
    ));

  it('C3: verify detects a changed process_instances.started_by', () =>
    expectDetected('process_instances', 'started_by', async (db) => {
      const { id } = await db('users').where({ username: 'oscar' }).first('id');
      await db('process_instances').where({ id: instanceId }).update({ started_by: id });
    }));

  it('C3: verify detects a changed tasks.completed_by', () =>
    expectDetected('tasks', 'completed_by', async (db) => {
      const { id } = await db('users').where({ username: 'oscar' }).first('id');
      await db('tasks').where({ id: reportTask }).update({ completed_by: id });
    }));

  it('C3: verify detects a changed tasks.assignee', () =>
    expectDetected('tasks', 'assignee', (db) =>
      db('tasks').where({ id: reviewTask }).update({ assignee: null }),
    ));

  it('C3: verify detects a changed tasks.status', () =>
    expectDetected('tasks', 'status', (db) =>
      db('tasks').where({ id: reviewTask }).update({ status: 'completed', completed_at: new Date() }),
    ));

  it('C3, D7: verify detects a step marked skipped without a signed run-time change', () =>
    expectDetected('tasks', 'status', (db) =>
      db('tasks').where({ id: reviewTask }).update({ status: 'skipped', completed_at: new Date() }),
    ));

  it('C3, D7: verify detects a completed step passed off as a repeat made by a run-time change', () =>
    expectDetected('tasks', 'origin', async (db) => {
      const form = await db('forms').where({ key: 'report' }).first('id');
      await db('tasks')
        .where({ id: reportTask })
        .update({ origin: 'repeat', token_id: null, form_id: form.id });
    }));

  it('C3: verify detects a changed tasks.form_key', () =>
    expectDetected('tasks', 'form_key', (db) =>
      db('tasks').where({ id: reportTask }).update({ form_key: 'closure' }),
    ));

  it('C3: verify detects a changed form_values.value', () =>
    expectDetected('form_values', 'value', (db) =>
      db('form_values')
        .where({ task_id: reportTask, pointer: '/temperature' })
        .update({ value: JSON.stringify(7) }),
    ));

  it('C3: verify detects a changed form_values.source', () =>
    expectDetected('form_values', 'source', (db) =>
      db('form_values').where({ task_id: reportTask, pointer: '/temperature' }).update({ source: 'device' }),
    ));

  it('C3: verify detects a changed form_values.entered_by', async () => {
    await expectDetected('form_values', 'entered_by', async (db) => {
      const { id } = await db('users').where({ username: 'oscar' }).first('id');
      await db('form_values').where({ task_id: reportTask }).update({ entered_by: id });
    });
  });

  it('C3: verify detects a changed exceptions.severity', () =>
    expectDetected('exceptions', 'severity', async (db) => {
      // Only an owner who takes away the trigger that keeps an exception's facts can change them.
      await db.raw('ALTER TABLE exceptions DISABLE TRIGGER exceptions_move_one_way');
      await db('exceptions').update({ severity: 'low', blocking: false });
    }));

  it('C3, F4: verify detects an exception marked accepted without QA’s signed decision', () =>
    expectDetected('exceptions', 'status', async (db) => {
      await db.raw('ALTER TABLE exceptions DISABLE TRIGGER exceptions_move_one_way');
      await db('exceptions').update({ status: 'accepted' });
    }));

  it('C3: verify detects a changed signatures.signer_name', () =>
    expectDetected('signatures', 'signer_name', (db) =>
      db('signatures').where({ meaning: 'Performed' }).update({ signer_name: 'Quinn Quaye' }),
    ));

  it('C3: verify detects a changed signatures.reason', () =>
    expectDetected('signatures', 'reason', (db) =>
      db('signatures').where({ meaning: 'Performed' }).update({ reason: 'Checked twice' }),
    ));

  it('C3: verify detects a changed signatures.withdrawn_at', () =>
    expectDetected('signatures', 'withdrawn_at', (db) =>
      db('signatures')
        .where({ meaning: 'Performed' })
        .update({ withdrawn_at: new Date(), withdrawal_reason: 'x' }),
    ));

  it('C3: verify detects a changed forms.definition', () =>
    expectDetected('forms', 'definition', async (db) => {
      await db.raw('ALTER TABLE forms DISABLE TRIGGER forms_frozen');
      await db.raw(
        `UPDATE forms SET definition = jsonb_set(definition, '{components,1,attest,limits,action,max}', '20') WHERE key = 'report'`,
      );
    }));

  it('C3: verify detects a changed forms.content_hash with its definition', () =>
    expectDetected('forms', 'content_hash', async (db) => {
      await db.raw('ALTER TABLE forms DISABLE TRIGGER forms_frozen');
      await db('forms')
        .where({ key: 'report' })
        .update({ content_hash: 'f'.repeat(64) });
    }));

  it('C3: verify detects a changed template_versions.files', () =>
    expectDetected('template_versions', 'files', async (db) => {
      await db.raw('ALTER TABLE template_versions DISABLE TRIGGER template_versions_released');
      await db.raw(
        `UPDATE template_versions SET files = jsonb_set(files, '{README.md}', '"# Deviation\\n\\nNothing to see.\\n"')`,
      );
    }));

  it('C3: verify detects a changed template_versions.manifest', () =>
    expectDetected('template_versions', 'manifest', async (db) => {
      await db.raw('ALTER TABLE template_versions DISABLE TRIGGER template_versions_released');
      await db.raw(`UPDATE template_versions SET manifest = jsonb_set(manifest, '{retention}', '"P1Y"')`);
    }));

  it('C3: verify detects a changed template_versions.status', () =>
    expectDetected('template_versions', 'status', (db) =>
      db('template_versions').update({ status: 'retired' }),
    ));

  it('C3: verify detects a changed template_versions.approved_by', () =>
    expectDetected('template_versions', 'approved_by', async (db) => {
      const { id } = await db('users').where({ username: 'quinn' }).first('id');
      await db('template_versions').update({ approved_by: id });
    }));

  it('C3: verify names a row inserted without its events', () =>
    expectDetected('users', 'has no user.created', (db) =>
      db('users').insert({
        id: '00000000-0000-4000-8000-00000000abcd',
        username: 'mallory',
        printed_name: 'Mallory',
        password_hash: 'x',
        password_changed_at: new Date(),
        must_change_password: false,
        created_at: new Date(),
      }),
    ));

  it('C3: verify names the first difference per table and counts the others', async () => {
    const report = await verifyTampered((db) => db('users').update({ printed_name: 'Everyone' }));
    const users = report.mismatches.filter((m) => m.table === 'users');
    assert.equal(users.length, 1);
    assert.match(
      users[0]!.problem,
      /printed_name differs from its audit trail \(and \d+ more rows of users differ\)/,
    );
  });

  it('C3: rows whose events predate the digests are reported as not attested, not as tampered', async () => {
    const report = await verifyTampered(async (db) => {
      // What a database written before the digests looks like: the same rows, events without them
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw(`UPDATE events SET payload = payload - 'state' WHERE record_id = ?`, [instanceId]);
      await db.raw(`UPDATE events SET payload = payload - 'passwordDigest' WHERE record_type = 'user'`);
      await db.raw(
        `UPDATE events SET payload = payload - 'graphHash' - 'xmlHash' WHERE record_type = 'definition'`,
      );
    });
    // The hashes of the rewritten events break, which checkpoints and chains report; the state checks do not crash
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual([...new Set(report.unattested.map((u) => u.table))].sort(), [
      'process_definitions',
      'process_instances',
      'users',
    ]);
    assert.match(report.unattested.find((u) => u.table === 'users')!.problem, /predates its digest/);
  });
});
