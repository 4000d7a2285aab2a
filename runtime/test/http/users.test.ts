import assert from 'node:assert/strict';
import type { Principal } from '@attest/engine';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

describe('Feature: users and roles over HTTP', () => {
  let api: TestApi;
  let adrian: Principal;
  let admin: string;
  let operator: string;
  const sign = (reason = 'Approved by line manager') => ({ password: demoPassword('adrian'), reason });

  before(async () => {
    api = await startTestApi();
    adrian = await loginAs(api.ctx.engine, 'adrian');
  });
  beforeEach(async () => {
    admin = await api.login('adrian');
    operator = await api.login('olivia');
  });
  after(() => api.close());

  const userOf = (id: string) => api.ctx.engine.identity.getUser(adrian, id);
  const trailOf = (id: string) => api.ctx.engine.audit.trail(adrian, { recordId: id });
  const idOf = async (username: string) =>
    (await api.ctx.engine.identity.listUsers(adrian)).find((u) => u.username === username)!.id;

  async function createUser(username: string, roles = ['operator']) {
    const response = await api.request('POST', '/api/users', {
      token: admin,
      body: {
        username,
        printedName: `Test ${username}`,
        email: `${username}@example.com`,
        roles,
        signature: sign(),
      },
    });
    assert.equal(response.status, 201, response.text);
    return response;
  }

  it('A3: an administrator creates a user with an e-signature; the act is audited with who and why', async () => {
    const response = await createUser('ada');
    const { user, oneTimePassword } = response.body;
    assert.equal(response.headers.get('location'), `/api/users/${user.id}`);
    assert.deepEqual([user.username, user.roles, user.mustChangePassword], ['ada', ['operator'], true]);
    assert.ok(oneTimePassword.length >= 12);

    const trail = await api.request('GET', `/api/users/${user.id}/audit`, { token: admin });
    assert.equal(trail.status, 200);
    const [created, signed] = trail.body.events;
    assert.deepEqual(
      [created.type, created.actorName, created.reason],
      ['user.created', 'Adrian Alder', sign().reason],
    );
    assert.deepEqual([signed.type, signed.payload.meaning], ['signature.applied', 'Approved']);
  });

  it('A1: a user name is taken for good: creating it again is a 409 conflict', async () => {
    await createUser('bea');
    const again = await api.request('POST', '/api/users', {
      token: admin,
      body: { username: 'BEA', printedName: 'Someone Else', roles: [], signature: sign() },
    });
    assertProblem(again, 409, 'conflict');
  });

  it('A3: changing roles with a wrong signature password is refused with 401 and changes nothing', async () => {
    const id = (await createUser('cody')).body.user.id as string;
    const before = { user: await userOf(id), trail: await trailOf(id) };
    const response = await api.request('PUT', `/api/users/${id}/roles`, {
      token: admin,
      body: { roles: ['qa'], signature: { password: 'not-my-password', reason: 'Promotion' } },
    });
    assertProblem(response, 401, 'unauthenticated');
    assert.deepEqual(await userOf(id), before.user);
    assert.deepEqual(await trailOf(id), before.trail);
    assert.equal((await trailOf(adrian.userId)).at(-1)!.type, 'auth.signature_failed');
  });

  it('A3: granting and revoking roles is e-signed and audited with old and new roles', async () => {
    const id = (await createUser('dana')).body.user.id as string;
    const response = await api.request('PUT', `/api/users/${id}/roles`, {
      token: admin,
      body: { roles: ['qa', 'operator'], signature: sign('Promotion') },
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body.roles, ['operator', 'qa']);
    const [changed, signed] = (await trailOf(id)).slice(-2);
    assert.equal(changed!.type, 'user.roles_changed');
    assert.deepEqual(changed!.payload.changes, [
      { path: '/roles', old: ['operator'], new: ['operator', 'qa'] },
    ]);
    assert.equal(changed!.reason, 'Promotion');
    assert.equal(signed!.type, 'signature.applied');
  });

  it('A3: nobody may change their own roles', async () => {
    const response = await api.request('PUT', `/api/users/${adrian.userId}/roles`, {
      token: admin,
      body: { roles: ['admin', 'qp'], signature: sign() },
    });
    assertProblem(response, 403, 'not-allowed');
    assert.deepEqual((await userOf(adrian.userId)).roles, ['admin']);
  });

  it('A3: an unknown role is refused with a pointer to the roles', async () => {
    const id = await idOf('oscar');
    const response = await api.request('PUT', `/api/users/${id}/roles`, {
      token: admin,
      body: { roles: ['wizard'], signature: sign() },
    });
    assert.equal(assertProblem(response, 400, 'input').errors![0]!.pointer, '/roles');
  });

  it('A2: an operator may not create users, change roles, reset passwords or define roles', async () => {
    const oscar = await idOf('oscar');
    const before = { users: await api.ctx.engine.identity.listUsers(adrian), trail: await trailOf(oscar) };
    const attempts: [string, string, unknown?][] = [
      ['GET', '/api/users'],
      [
        'POST',
        '/api/users',
        { username: 'eve', printedName: 'Eve', roles: ['admin'], signature: { password: 'x' } },
      ],
      [
        'PUT',
        `/api/users/${oscar}/roles`,
        { roles: ['admin'], signature: { password: demoPassword('olivia') } },
      ],
      ['POST', `/api/users/${oscar}/deactivate`, { reason: 'Because' }],
      ['POST', `/api/users/${oscar}/reset-password`, { reason: 'Because' }],
      ['GET', `/api/users/${oscar}`],
      ['GET', `/api/users/${oscar}/audit`],
      ['GET', '/api/roles'],
      [
        'PUT',
        '/api/roles/operator',
        { title: 'Operator', description: '', permissions: [], signature: { password: 'x' } },
      ],
    ];
    for (const [method, path, body] of attempts) {
      assertProblem(await api.request(method, path, { token: operator, body }), 403, 'not-allowed');
    }
    assert.deepEqual(await api.ctx.engine.identity.listUsers(adrian), before.users);
    assert.deepEqual(await trailOf(oscar), before.trail);
  });

  it('A2: a user may read their own account and its audit trail', async () => {
    const olivia = await idOf('olivia');
    assert.equal(
      (await api.request('GET', `/api/users/${olivia}`, { token: operator })).body.username,
      'olivia',
    );
    const trail = await api.request('GET', `/api/users/${olivia}/audit`, { token: operator });
    assert.ok(trail.body.events.some((e: { type: string }) => e.type === 'auth.login'));
  });

  it('A1: users are never deleted: DELETE is refused with 405', async () => {
    const id = await idOf('oscar');
    const response = await api.request('DELETE', `/api/users/${id}`, { token: admin });
    assert.match(assertProblem(response, 405, 'method-not-allowed').detail, /never deleted/);
    assert.equal(response.headers.get('allow'), 'GET, HEAD');
    assert.equal((await userOf(id)).active, true);
  });

  it('A1: deactivating a user needs a reason, ends their sessions and keeps the account', async () => {
    const { user, oneTimePassword } = (await createUser('finn')).body;
    const theirs = await api.login('finn', oneTimePassword);
    const noReason = await api.request('POST', `/api/users/${user.id}/deactivate`, {
      token: admin,
      body: {},
    });
    assert.equal(assertProblem(noReason, 400, 'input').errors![0]!.pointer, '/reason');

    const off = await api.request('POST', `/api/users/${user.id}/deactivate`, {
      token: admin,
      body: { reason: 'Left the company' },
    });
    assert.equal(off.body.active, false);
    assertProblem(await api.request('GET', '/api/auth/me', { token: theirs }), 401, 'unauthenticated');
    const login = await api.request('POST', '/api/auth/login', {
      body: { username: 'finn', password: oneTimePassword },
    });
    assertProblem(login, 401, 'unauthenticated');

    const on = await api.request('POST', `/api/users/${user.id}/reactivate`, {
      token: admin,
      body: { reason: 'Came back' },
    });
    assert.equal(on.body.active, true);
    const acts = (await trailOf(user.id)).filter((e) => e.type.startsWith('user.'));
    assert.deepEqual(
      acts.map((e) => [e.type, e.reason]),
      [
        ['user.created', sign().reason],
        ['user.deactivated', 'Left the company'],
        ['user.reactivated', 'Came back'],
      ],
    );
  });

  it('A6: a password reset unlocks the account with a one-time password that must be changed', async () => {
    const { user } = (await createUser('gus')).body;
    for (let i = 0; i < 5; i++) {
      await api.request('POST', '/api/auth/login', { body: { username: 'gus', password: 'wrong' } });
    }
    assert.equal((await userOf(user.id)).locked, true);
    const reset = await api.request('POST', `/api/users/${user.id}/reset-password`, {
      token: admin,
      body: { reason: 'Locked out' },
    });
    assert.equal(reset.status, 200);
    assert.equal(reset.body.user.locked, false);
    const login = await api.request('POST', '/api/auth/login', {
      body: { username: 'gus', password: reset.body.oneTimePassword },
    });
    assert.equal(login.body.mustChangePassword, true);
  });

  it('A3: defining a role is e-signed; the new role is listed', async () => {
    const response = await api.request('PUT', '/api/roles/auditor', {
      token: admin,
      body: {
        title: 'Auditor',
        description: 'Reads audit trails',
        permissions: ['audit.read'],
        signature: sign('Inspection readiness'),
      },
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual([response.body.name, response.body.permissions], ['auditor', ['audit.read']]);
    const roles = await api.request('GET', '/api/roles', { token: admin });
    assert.ok(roles.body.roles.some((r: { name: string }) => r.name === 'auditor'));
    const trail = await api.ctx.engine.audit.trail(adrian, { recordId: response.body.id });
    assert.deepEqual(
      trail.map((e) => e.type),
      ['role.created', 'signature.applied'],
    );
  });

  it('A2: an unknown permission is refused before anything is signed', async () => {
    const response = await api.request('PUT', '/api/roles/auditor', {
      token: admin,
      body: { title: 'Auditor', description: '', permissions: ['everything'], signature: sign() },
    });
    assert.ok(assertProblem(response, 400, 'input').errors!.some((e) => e.pointer === '/permissions/0'));
  });

  it('answers 404 for a user that does not exist', async () => {
    const response = await api.request('GET', '/api/users/00000000-0000-4000-8000-00000000abcd', {
      token: admin,
    });
    assertProblem(response, 404, 'not-found');
  });
});
