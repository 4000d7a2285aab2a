import assert from 'node:assert/strict';
import { InputError, NotAllowedError, type Principal } from '../src/index.ts';
import { conflictsIn, DEFAULT_PERMISSION_CONFLICTS } from '../src/kernel/permissionConflicts.ts';
import {
  createColleague,
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from './support/testEngine.ts';

describe('Feature: segregation of security administration', () => {
  let ctx: TestContext;
  let adrian: Principal;
  const signature = () => ({ password: demoPassword('adrian'), reason: 'Access review' });
  const role = (name: string, permissions: string[]) => ({
    name,
    title: name,
    description: '',
    permissions: permissions as never[],
  });

  before(async () => {
    ctx = await startTestEngine();
    adrian = await loginAs(ctx.engine, 'adrian');
  });
  after(() => ctx.close());

  it('A2: an administrator may not change a role they hold, so cannot give it approval authority', async () => {
    const before = await ctx.engine.identity.listRoles(adrian);
    const admin = before.find((r) => r.name === 'admin')!;
    await assert.rejects(
      ctx.engine.identity.defineRole(
        adrian,
        role('admin', [...admin.permissions, 'templates.approve', 'records.approve']),
        signature(),
      ),
      (error: Error) => error instanceof NotAllowedError && /role they hold/.test(error.message),
    );
    assert.deepEqual(await ctx.engine.identity.listRoles(adrian), before);
  });

  it('B5: a role may not combine user or role administration with GMP approval', async () => {
    for (const permissions of [
      ['roles.manage', 'templates.approve'],
      ['users.manage', 'records.release'],
      ['users.manage', 'records.review'],
    ]) {
      await assert.rejects(
        ctx.engine.identity.defineRole(adrian, role('superuser', permissions), signature()),
        (error: Error) =>
          error instanceof InputError &&
          error.errors[0]?.pointer === '/permissions' &&
          error.errors[0]?.keyword === 'segregation',
      );
    }
    assert.equal(
      (await ctx.engine.identity.listRoles(adrian)).find((r) => r.name === 'superuser'),
      undefined,
    );
  });

  it('B5: nobody is granted roles whose permissions together conflict, on creation or on change', async () => {
    await assert.rejects(
      ctx.engine.identity.createUser(
        adrian,
        { username: 'ada', printedName: 'Ada Admin', roles: ['admin', 'qa'] },
        signature(),
      ),
      (error: Error) =>
        error instanceof InputError && /users\.manage with records\.review/.test(error.message),
    );
    const { user } = await createColleague(ctx, 'ivo', ['qa']);
    await assert.rejects(
      ctx.engine.identity.setUserRoles(adrian, user.id, ['qa', 'admin'], signature()),
      (error: Error) => error instanceof InputError && error.errors[0]?.pointer === '/roles',
    );
    assert.deepEqual((await ctx.engine.identity.getUser(adrian, user.id)).roles, ['qa']);
  });

  it('B5: a role change that would make any holder combine conflicting permissions is refused', async () => {
    await ctx.engine.identity.defineRole(adrian, role('helpdesk', ['users.manage']), signature());
    const { user } = await createColleague(ctx, 'hugo', ['operator']);
    await ctx.engine.identity.setUserRoles(adrian, user.id, ['helpdesk', 'operator'], signature());
    await assert.rejects(
      ctx.engine.identity.defineRole(
        adrian,
        role('operator', ['records.create', 'records.review']),
        signature(),
      ),
      (error: Error) =>
        error instanceof InputError && /hugo \(users\.manage with records\.review\)/.test(error.message),
    );
    const operator = (await ctx.engine.identity.listRoles(adrian)).find((r) => r.name === 'operator')!;
    assert.ok(!operator.permissions.includes('records.review'));
  });

  it('B5: the conflict matrix is a setting; an unknown permission in it is refused at start', async () => {
    const strict = await startTestEngine({ permissionConflicts: [['records.perform', 'records.verify']] });
    try {
      const admin = await loginAs(strict.engine, 'adrian');
      await assert.rejects(
        strict.engine.identity.defineRole(
          admin,
          role('solo', ['records.perform', 'records.verify']),
          signature(),
        ),
        /records\.perform with records\.verify/,
      );
      await strict.engine.identity.defineRole(
        admin,
        role('lead', ['users.manage', 'records.review']),
        signature(),
      );
    } finally {
      await strict.close();
    }
    await assert.rejects(
      startTestEngine({ permissionConflicts: [['users.manage', 'records.approv' as never]] }),
      RangeError,
    );
  });

  it('B5: the built-in roles and demo users comply with the default matrix', async () => {
    const fresh = await startTestEngine();
    try {
      const admin = await loginAs(fresh.engine, 'adrian');
      const roles = new Map(
        (await fresh.engine.identity.listRoles(admin)).map((r) => [r.name, r.permissions]),
      );
      for (const user of await fresh.engine.identity.listUsers(admin)) {
        const held = user.roles.flatMap((r) => roles.get(r)!);
        assert.deepEqual(conflictsIn(held, DEFAULT_PERMISSION_CONFLICTS), [], user.username);
      }
      assert.deepEqual(
        (await fresh.engine.identity.listUsers(admin)).find((u) => u.username === 'adrian')!.roles,
        ['admin'],
      );
    } finally {
      await fresh.close();
    }
  });
});
