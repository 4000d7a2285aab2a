import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import type { Principal } from '@attest/engine';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

describe('Feature: sessions over HTTP', () => {
  let api: TestApi;
  let adrian: Principal;
  let adminToken: string;

  before(async () => {
    api = await startTestApi({ settings: { inactivityMinutes: 10, lockoutThreshold: 5 } });
    adrian = await loginAs(api.ctx.engine, 'adrian');
  });
  beforeEach(async () => {
    adminToken = await api.login('adrian');
  });
  after(() => api.close());

  const userIdOf = async (username: string) =>
    (await api.ctx.engine.identity.listUsers(adrian)).find((u) => u.username === username)!.id;
  const trailOf = async (userId: string) => api.ctx.engine.audit.trail(adrian, { recordId: userId });

  /** Creates a user over HTTP; returns their id and one-time password. */
  async function newUser(username: string, roles = ['operator']) {
    const response = await api.request('POST', '/api/users', {
      token: adminToken,
      body: {
        username,
        printedName: `Test ${username}`,
        roles,
        signature: { password: demoPassword('adrian'), reason: 'New starter' },
      },
    });
    assert.equal(response.status, 201, response.text);
    return { id: response.body.user.id as string, oneTimePassword: response.body.oneTimePassword as string };
  }

  /** Creates a user and completes the first password change; returns id, password and a token. */
  async function colleague(username: string, roles = ['operator']) {
    const { id, oneTimePassword } = await newUser(username, roles);
    const password = 'Quartz-Lamp-4829';
    const first = await api.login(username, oneTimePassword);
    const changed = await api.request('POST', '/api/auth/password', {
      token: first,
      body: { currentPassword: oneTimePassword, newPassword: password },
    });
    assert.equal(changed.status, 204, changed.text);
    return { id, password, token: first };
  }

  it('logs in with a short-lived HS256 token naming the user and the session', async () => {
    const response = await api.request('POST', '/api/auth/login', {
      body: { username: 'olivia', password: demoPassword('olivia') },
    });
    assert.equal(response.status, 200);
    const { token, expiresAt, mustChangePassword, user } = response.body;
    assert.equal(user.username, 'olivia');
    assert.equal(mustChangePassword, false);
    const decoded = jwt.decode(token, { complete: true })!;
    assert.equal(decoded.header.alg, 'HS256');
    const claims = decoded.payload as jwt.JwtPayload;
    assert.equal(claims.sub, user.id);
    assert.match(String(claims.sid), /^[0-9a-f-]{36}$/);
    assert.equal(claims.exp! - claims.iat!, 15 * 60);
    assert.equal(new Date(expiresAt).getTime(), claims.exp! * 1000);
  });

  it('A2: /api/auth/me tells who is logged in, with roles and permissions', async () => {
    const token = await api.login('quinn');
    const response = await api.request('GET', '/api/auth/me', { token });
    assert.equal(response.status, 200);
    assert.equal(response.body.user.printedName, 'Quinn Quaye');
    assert.deepEqual(response.body.roles, ['qa']);
    assert.ok(response.body.permissions.includes('records.approve'));
    assert.ok(!response.body.permissions.includes('users.manage'));
    assert.equal(response.body.plant.dualControl, false, 'the tests turn dual control off');
  });

  it('refreshes the token of a session that is still open', async () => {
    const token = await api.login('olivia');
    api.ctx.clock.advance(1);
    const response = await api.request('POST', '/api/auth/refresh', { token });
    assert.equal(response.status, 200);
    const before = jwt.decode(token) as jwt.JwtPayload;
    const after = jwt.decode(response.body.token) as jwt.JwtPayload;
    assert.equal(after.sid, before.sid);
    assert.ok(after.exp! > before.exp!);
    assert.equal((await api.request('GET', '/api/auth/me', { token: response.body.token })).status, 200);
  });

  it('A5: logging out ends the session at once: its token, still correctly signed, gets 401', async () => {
    const token = await api.login('oscar');
    assert.equal((await api.request('POST', '/api/auth/logout', { token })).status, 204);
    for (const [method, path] of [
      ['GET', '/api/auth/me'],
      ['POST', '/api/auth/refresh'],
      ['GET', `/api/users/${(jwt.decode(token) as jwt.JwtPayload).sub}`],
    ] as const) {
      const response = await api.request(method, path, { token });
      assertProblem(response, 401, 'unauthenticated');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  });

  it('A5: a session idle beyond the limit is refused even with an unexpired token', async () => {
    const token = await api.login('petra');
    api.ctx.clock.advance(11);
    const response = await api.request('GET', '/api/auth/me', { token });
    assert.match(assertProblem(response, 401, 'unauthenticated').detail, /10 minutes without activity/);
    const last = (await trailOf(await userIdOf('petra'))).at(-1)!;
    assert.deepEqual([last.type, last.payload.why], ['auth.session_ended', 'inactivity']);
  });

  it('A4: after 5 wrong passwords the account is locked; then even the right password gets 423', async () => {
    const { id, password } = await colleague('lena');
    for (let i = 0; i < 5; i++) {
      const wrong = await api.request('POST', '/api/auth/login', {
        body: { username: 'lena', password: 'not-it' },
      });
      assert.equal(assertProblem(wrong, 401, 'unauthenticated').detail, 'Wrong user name or password');
    }
    const locked = await api.request('POST', '/api/auth/login', { body: { username: 'lena', password } });
    assertProblem(locked, 423, 'locked');
    const types = (await trailOf(id)).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'auth.login_failed').length, 5);
    assert.ok(types.includes('auth.locked'));
    assert.equal(types.at(-1), 'auth.login_refused');
  });

  it('A6: a one-time password allows nothing but changing it', async () => {
    const { id, oneTimePassword } = await newUser('mira');
    const login = await api.request('POST', '/api/auth/login', {
      body: { username: 'mira', password: oneTimePassword },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.mustChangePassword, true);
    const token = login.body.token as string;

    const refused = await api.request('GET', `/api/users/${id}`, { token });
    assertProblem(refused, 403, 'password-change-required');
    const me = await api.request('GET', '/api/auth/me', { token });
    assert.equal(me.body.mustChangePassword, true);
    assert.equal((await api.request('POST', '/api/auth/refresh', { token })).body.mustChangePassword, true);

    const weak = await api.request('POST', '/api/auth/password', {
      token,
      body: { currentPassword: oneTimePassword, newPassword: 'short' },
    });
    const problem = assertProblem(weak, 400, 'input');
    assert.ok(problem.errors!.every((e) => e.pointer === '/newPassword'));
    assert.ok(problem.errors!.some((e) => e.keyword === 'minLength'));

    const changed = await api.request('POST', '/api/auth/password', {
      token,
      body: { currentPassword: oneTimePassword, newPassword: 'Quartz-Lamp-4829' },
    });
    assert.equal(changed.status, 204);
    assert.equal((await api.request('GET', `/api/users/${id}`, { token })).status, 200);
    assert.equal((await api.request('GET', '/api/auth/me', { token })).body.mustChangePassword, false);
  });

  it('A4: refuses a common or breached password, whatever its character classes', async () => {
    const { oneTimePassword } = await newUser('cora');
    const token = await api.login('cora', oneTimePassword);
    for (const common of ['Password123!', 'Welcome2024!', 'Qwerty123456!']) {
      const guessable = await api.request('POST', '/api/auth/password', {
        token,
        body: { currentPassword: oneTimePassword, newPassword: common },
      });
      const refusal = assertProblem(guessable, 400, 'input');
      assert.deepEqual(
        refusal.errors!.map((e) => [e.pointer, e.keyword]),
        [['/newPassword', 'common']],
      );
      assert.match(refusal.errors![0]!.message, /common or breached password/);
    }
  });

  it('A4: a wrong current password changes nothing and counts towards lockout', async () => {
    const { id, password, token } = await colleague('nils');
    const before = await api.ctx.engine.identity.getUser(adrian, id);
    const response = await api.request('POST', '/api/auth/password', {
      token,
      body: { currentPassword: 'not-it', newPassword: 'Another-Lamp-7731' },
    });
    assertProblem(response, 401, 'unauthenticated');
    const after = await api.ctx.engine.identity.getUser(adrian, id);
    assert.equal(after.passwordChangedAt, before.passwordChangedAt);
    assert.equal((await trailOf(id)).at(-1)!.type, 'auth.signature_failed');
    assert.equal(
      (await api.request('POST', '/api/auth/login', { body: { username: 'nils', password } })).status,
      200,
    );
  });

  describe('tokens that are not good enough', () => {
    let token: string;
    let claims: { sub: string; sid: string };
    before(async () => {
      token = await api.login('olivia');
      claims = jwt.decode(token) as { sub: string; sid: string };
    });
    const now = () => Math.floor(api.ctx.clock.now().getTime() / 1000);
    const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const refused = async (badToken: string | undefined, header?: string) => {
      const before = await trailOf(claims.sub);
      const response = await api.request('GET', '/api/auth/me', {
        ...(badToken !== undefined && { token: badToken }),
        ...(header !== undefined && { headers: { authorization: header } }),
      });
      assertProblem(response, 401, 'unauthenticated');
      assert.deepEqual(await trailOf(claims.sub), before);
      return response;
    };

    it('refuses a request without a token', async () => {
      await refused(undefined);
    });

    it('refuses an expired token of an open session', async () => {
      const expired = jwt.sign({ sid: claims.sid, iat: now() - 1000, exp: now() - 100 }, api.jwtSecret, {
        subject: claims.sub,
      });
      assert.match((await refused(expired)).body.detail, /expired/);
      assert.equal((await api.request('GET', '/api/auth/me', { token })).status, 200);
    });

    it('refuses a token signed with another secret', async () => {
      await refused(
        jwt.sign({ sid: claims.sid }, 'another-secret-of-sufficient-length!!', { subject: claims.sub }),
      );
    });

    it('refuses an unsigned token (alg none)', async () => {
      await refused(
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, exp: now() + 600 })}.`,
      );
    });

    it('refuses a token whose claims were changed after signing', async () => {
      const [header, , signature] = token.split('.');
      const other = await userIdOf('adrian');
      await refused(`${header}.${base64url({ ...claims, sub: other, exp: now() + 600 })}.${signature}`);
    });

    it('refuses a token of our own signing that names another user than its session', async () => {
      const other = await userIdOf('adrian');
      await refused(jwt.sign({ sid: claims.sid }, api.jwtSecret, { subject: other, expiresIn: 600 }));
    });

    it('A5: refuses a token of our own signing without an expiry', async () => {
      await refused(jwt.sign({ sid: claims.sid, iat: now() }, api.jwtSecret, { subject: claims.sub }));
      assert.equal((await api.request('GET', '/api/auth/me', { token })).status, 200);
    });

    it('A5: refuses a token of our own signing that outlives the lifetime issued', async () => {
      await refused(
        jwt.sign({ sid: claims.sid }, api.jwtSecret, { subject: claims.sub, expiresIn: 15 * 60 + 1 }),
      );
      await refused(
        jwt.sign({ sid: claims.sid, iat: now() + 3600, exp: now() + 3600 + 600 }, api.jwtSecret, {
          subject: claims.sub,
        }),
      );
    });

    it('refuses an HS512 token signed with the right secret: only HS256 is accepted', async () => {
      await refused(
        jwt.sign({ sid: claims.sid }, api.jwtSecret, { subject: claims.sub, algorithm: 'HS512' }),
      );
    });

    it('refuses malformed Authorization headers', async () => {
      for (const header of [
        'Basic b2xpdmlhOnNlY3JldA==',
        'Bearer',
        `Bearer ${token} extra`,
        'Bearer not.a.jwt',
      ]) {
        await refused(undefined, header);
      }
    });

    it('A1: refuses the token of a user deactivated since', async () => {
      const { id, token: theirs } = await colleague('otto');
      const deactivated = await api.request('POST', `/api/users/${id}/deactivate`, {
        token: adminToken,
        body: { reason: 'Left the company' },
      });
      assert.equal(deactivated.status, 200);
      const before = await trailOf(id);
      assertProblem(await api.request('GET', '/api/auth/me', { token: theirs }), 401, 'unauthenticated');
      assertProblem(
        await api.request('POST', '/api/auth/refresh', { token: theirs }),
        401,
        'unauthenticated',
      );
      assert.deepEqual(await trailOf(id), before);
    });
  });
});
