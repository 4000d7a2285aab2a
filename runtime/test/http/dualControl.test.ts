import assert from 'node:assert/strict';
import { demoPassword, startTestEngine, type TestContext } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

describe('Feature: dual control of security administration', () => {
  let ctx: TestContext;
  let api: TestApi;
  let adrian: string;
  let alma: string;
  let almaId: string;
  const ALMA_PASSWORD = 'Lantern-Meadow-3381';
  const adrianSigns = (reason = 'Access review') => ({ password: demoPassword('adrian'), reason });
  const almaSigns = (reason = 'Second administrator') => ({ password: ALMA_PASSWORD, reason });

  before(async () => {
    ctx = await startTestEngine({ dualControl: true });
    api = await startTestApi({ ctx });
    almaId = (
      await ctx.engine.identity.bootstrapUser({
        username: 'alma',
        printedName: 'Alma Amsel',
        roles: ['admin'],
        password: ALMA_PASSWORD,
        mustChangePassword: false,
      })
    ).id;
    adrian = await api.login('adrian');
    alma = await api.login('alma', ALMA_PASSWORD);
  });
  after(async () => {
    await api.close();
    await ctx.close();
  });

  const role = async (name: string) =>
    ((await api.request('GET', '/api/roles', { token: adrian })).body.roles as { name: string }[]).find(
      (r) => r.name === name,
    ) as { name: string; permissions: string[]; title: string; description: string; version: number };
  const securityLog = () =>
    ctx.asOwner((db) =>
      db('events')
        .where({ record_type: 'security' })
        .orderBy('seq')
        .select('type', 'actor_id', 'payload', 'reason'),
    );

  it('/api/auth/me tells the web app that security administration is under dual control, and what GMP approval authority is', async () => {
    const me = await api.request('GET', '/api/auth/me', { token: adrian });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.plant.dualControl, true);
    assert.deepEqual(me.body.plant.gmpApproval, [
      'records.review',
      'records.approve',
      'records.release',
      'materials.release',
      'records.reopen',
      'templates.approve',
    ]);
  });

  it('A3: a role’s permissions change only once a second administrator approves, both signing', async () => {
    const operator = await role('operator');
    const wanted = { title: operator.title, description: operator.description };
    const permissions = [...operator.permissions, 'records.void'];
    const direct = await api.request('PUT', '/api/roles/operator', {
      token: adrian,
      body: { ...wanted, permissions, signature: adrianSigns() },
    });
    assertProblem(direct, 403, 'not-allowed');

    const proposed = await api.request('POST', '/api/roles/operator/proposals', {
      token: adrian,
      body: { ...wanted, permissions, signature: adrianSigns('Operators void their own drafts') },
    });
    assert.equal(proposed.status, 201, proposed.text);
    assert.equal(proposed.body.status, 'pending');
    assert.deepEqual((await role('operator')).permissions, operator.permissions, 'nothing changed yet');
    const pending = await api.request('GET', '/api/security-changes?status=pending', { token: alma });
    assert.deepEqual(
      pending.body.changes.map((c: { id: string }) => c.id),
      [proposed.body.id],
    );

    const path = `/api/security-changes/${proposed.body.id}/approve`;
    const own = await api.request('POST', path, { token: adrian, body: { signature: adrianSigns() } });
    assertProblem(own, 403, 'not-allowed');
    const wrong = await api.request('POST', path, {
      token: alma,
      body: { signature: { password: 'not-her-password' } },
    });
    assertProblem(wrong, 401, 'unauthenticated');
    assert.deepEqual((await role('operator')).permissions, operator.permissions);

    const approved = await api.request('POST', path, { token: alma, body: { signature: almaSigns() } });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.status, 'approved');
    assert.equal(approved.body.decidedBy, almaId);
    assert.ok((await role('operator')).permissions.includes('records.void'));
    const again = await api.request('POST', path, { token: alma, body: { signature: almaSigns() } });
    assertProblem(again, 409, 'conflict');

    const log = (await securityLog()).filter((e) => e.payload.changeId === proposed.body.id);
    assert.deepEqual(
      log.map((e) => e.type),
      ['security.change_proposed', 'security.change_approved'],
    );
    assert.equal(log[0].reason, 'Operators void their own drafts');
    const operatorId = (await ctx.asOwner((db) => db('roles').where({ name: 'operator' }).first('id'))).id;
    const signatures = await ctx.asOwner((db) =>
      db('signatures').where({ record_id: operatorId }).orderBy('signed_at').select('signer_id', 'meaning'),
    );
    assert.deepEqual(signatures.at(-1), { signer_id: almaId, meaning: 'Approved' });
  });

  it('A3: a grant of GMP approval authority needs a second administrator; a rejection changes nothing', async () => {
    const createdQa = await api.request('POST', '/api/users', {
      token: adrian,
      body: { username: 'gus', printedName: 'Gus Gray', roles: ['qa'], signature: adrianSigns() },
    });
    assertProblem(createdQa, 403, 'not-allowed');
    const created = await api.request('POST', '/api/users', {
      token: adrian,
      body: { username: 'gus', printedName: 'Gus Gray', roles: ['operator'], signature: adrianSigns() },
    });
    assert.equal(created.status, 201, created.text);
    const gus = created.body.user.id as string;
    const direct = await api.request('PUT', `/api/users/${gus}/roles`, {
      token: adrian,
      body: { roles: ['qa'], signature: adrianSigns() },
    });
    assertProblem(direct, 403, 'not-allowed');

    const propose = () =>
      api.request('POST', `/api/users/${gus}/roles/proposals`, {
        token: adrian,
        body: { roles: ['qa'], signature: adrianSigns('Moves to QA') },
      });
    const first = await propose();
    assert.equal(first.status, 201, first.text);
    const reject = `/api/security-changes/${first.body.id}/reject`;
    const reasonless = await api.request('POST', reject, {
      token: alma,
      body: { signature: { password: ALMA_PASSWORD } },
    });
    assertProblem(reasonless, 400, 'input');
    const rejected = await api.request('POST', reject, {
      token: alma,
      body: { signature: almaSigns('Training record missing') },
    });
    assert.equal(rejected.body.status, 'rejected');
    const approveRejected = await api.request('POST', `/api/security-changes/${first.body.id}/approve`, {
      token: alma,
      body: { signature: almaSigns() },
    });
    assertProblem(approveRejected, 409, 'conflict');
    assert.deepEqual((await ctx.engine.identity.getUser(await principal(), gus)).roles, ['operator']);

    const second = await propose();
    const approved = await api.request('POST', `/api/security-changes/${second.body.id}/approve`, {
      token: alma,
      body: { signature: almaSigns('Training complete') },
    });
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual((await ctx.engine.identity.getUser(await principal(), gus)).roles, ['qa']);
  });

  it('A2: an administrator cannot give the role they hold approval authority, by change or by proposal', async () => {
    const admin = await role('admin');
    const body = {
      title: admin.title,
      description: admin.description,
      permissions: [...admin.permissions, 'templates.approve', 'records.approve'],
      signature: adrianSigns(),
    };
    assertProblem(await api.request('PUT', '/api/roles/admin', { token: adrian, body }), 403, 'not-allowed');
    assertProblem(
      await api.request('POST', '/api/roles/admin/proposals', { token: adrian, body }),
      403,
      'not-allowed',
    );
    const viaColleague = await api.request('POST', '/api/roles/helpdesk/proposals', {
      token: alma,
      body: { ...body, signature: almaSigns() },
    });
    const problem = assertProblem(viaColleague, 400, 'input');
    assert.equal(problem.errors![0]!.keyword, 'segregation');
    assert.deepEqual((await role('admin')).permissions, admin.permissions);
    const me = await api.request('GET', '/api/auth/me', { token: adrian });
    assert.ok(!me.body.permissions.includes('templates.approve'));
  });

  it('B5: nobody decides a change of their own roles', async () => {
    const adrianId = (await api.request('GET', '/api/auth/me', { token: adrian })).body.user.id;
    const proposed = await api.request('POST', `/api/users/${adrianId}/roles/proposals`, {
      token: alma,
      body: { roles: ['admin', 'operator'], signature: almaSigns() },
    });
    assert.equal(proposed.status, 201, proposed.text);
    const own = await api.request('POST', `/api/security-changes/${proposed.body.id}/approve`, {
      token: adrian,
      body: { signature: adrianSigns() },
    });
    assertProblem(own, 403, 'not-allowed');
  });

  it('C3: after proposals and decisions every chain verifies and the state matches the trail', async () => {
    const report = await ctx.engine.verify();
    assert.equal(report.ok, true, JSON.stringify(report.breaks));
  });

  const principal = async () => {
    const { sessionId } = await ctx.engine.identity.login({ username: 'alma', password: ALMA_PASSWORD });
    return ctx.engine.identity.authenticate(sessionId);
  };
});
