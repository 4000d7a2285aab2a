import type { Engine } from '@attest/engine';
import { auditQuery, auditReply, auditResponses, readTrail } from '../auditExport.ts';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { roleName, signature } from '../inputs.ts';
import { email, LIMITS, list, object, requiredText, uuid } from '../schema.ts';

const userId = object({ id: uuid('User id') }, ['id']);
const roles = list(roleName, 20, 'Role names');
const reason = object({ reason: requiredText(LIMITS.reason, 'Why; recorded in the audit trail') }, [
  'reason',
]);

const newUser = object(
  {
    username: requiredText(63, 'Login name: 2–63 lower-case letters, digits, dots, dashes or underscores'),
    printedName: requiredText(LIMITS.name, 'The name shown with every act and signature'),
    email: email('Contact address'),
    roles,
    signature,
  },
  ['username', 'printedName', 'roles', 'signature'],
);

const roleChange = object({ roles, signature }, ['roles', 'signature']);

export function userOperations(engine: Engine) {
  return [
    operation({
      id: 'listUsers',
      method: 'get',
      path: '/api/users',
      tag: 'users',
      summary: 'All users, active or not',
      access: 'session',
      responses: { 200: json('The users', listOf('users', 'User', 'Users by user name')) },
      handle: async ({ principal }) => ok({ users: await engine.identity.listUsers(principal) }),
    }),
    operation({
      id: 'createUser',
      method: 'post',
      path: '/api/users',
      tag: 'users',
      summary: 'Create a user with a one-time password (e-signed)',
      access: 'session',
      body: newUser,
      responses: {
        201: json('The user and a one-time password to hand over', ref('UserWithOneTimePassword')),
      },
      problems: [409, 423],
      handle: async ({ principal, body: { signature, ...user } }) => {
        const result = await engine.identity.createUser(principal, user, signature);
        return created(result, `/api/users/${result.user.id}`);
      },
    }),
    operation({
      id: 'getUser',
      method: 'get',
      path: '/api/users/{id}',
      tag: 'users',
      summary: 'One user',
      access: 'session',
      params: userId,
      refuses: {
        delete: { id: 'deleteUser', reason: 'Users are never deleted (A1); deactivate them instead' },
      },
      responses: { 200: json('The user', ref('User')) },
      handle: async ({ principal, params }) => ok(await engine.identity.getUser(principal, params.id)),
    }),
    operation({
      id: 'setUserRoles',
      method: 'put',
      path: '/api/users/{id}/roles',
      tag: 'users',
      summary: 'Grant and revoke roles (e-signed, A3)',
      access: 'session',
      params: userId,
      body: roleChange,
      responses: { 200: json('The user with the new roles', ref('User')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.identity.setUserRoles(principal, params.id, body.roles, body.signature)),
    }),
    operation({
      id: 'proposeUserRoles',
      method: 'post',
      path: '/api/users/{id}/roles/proposals',
      tag: 'users',
      summary: 'Propose a grant or revocation of roles, for a second administrator (A3)',
      description: 'Dual control: needed to grant GMP approval authority; nothing changes until approved.',
      access: 'session',
      params: userId,
      body: roleChange,
      responses: { 201: json('The proposed change, pending', ref('SecurityChange')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) => {
        const change = await engine.identity.proposeUserRoles(
          principal,
          params.id,
          body.roles,
          body.signature,
        );
        return created(change, `/api/security-changes/${change.id}`);
      },
    }),
    operation({
      id: 'deactivateUser',
      method: 'post',
      path: '/api/users/{id}/deactivate',
      tag: 'users',
      summary: 'Deactivate a user; their sessions end at once',
      access: 'session',
      params: userId,
      body: reason,
      responses: { 200: json('The user', ref('User')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.identity.setActive(principal, params.id, false, body.reason)),
    }),
    operation({
      id: 'reactivateUser',
      method: 'post',
      path: '/api/users/{id}/reactivate',
      tag: 'users',
      summary: 'Reactivate a user',
      access: 'session',
      params: userId,
      body: reason,
      responses: { 200: json('The user', ref('User')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.identity.setActive(principal, params.id, true, body.reason)),
    }),
    operation({
      id: 'resetPassword',
      method: 'post',
      path: '/api/users/{id}/reset-password',
      tag: 'users',
      summary: 'Reset a password: a one-time password, the lock lifted, sessions ended (A6)',
      access: 'session',
      params: userId,
      body: reason,
      responses: {
        200: json('The user and a one-time password to hand over', ref('UserWithOneTimePassword')),
      },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.identity.resetPassword(principal, params.id, body.reason)),
    }),
    operation({
      id: 'unlockUser',
      method: 'post',
      path: '/api/users/{id}/unlock',
      tag: 'users',
      summary: 'Lift a lockout, keeping the password (another administrator, reasoned, audited)',
      access: 'session',
      params: userId,
      body: reason,
      responses: { 200: json('The user', ref('User')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.identity.unlockUser(principal, params.id, body.reason)),
    }),
    operation({
      id: 'userAuditTrail',
      method: 'get',
      path: '/api/users/{id}/audit',
      tag: 'users',
      summary: 'The audit trail of a user account: logins, failures, lockouts, role changes (C4)',
      description: 'For administrators, and for each user their own.',
      access: 'session',
      params: userId,
      query: auditQuery,
      responses: auditResponses,
      handle: async ({ principal, params, query }) => {
        await engine.identity.getUser(principal, params.id);
        return auditReply(await readTrail(engine, principal, params.id, query), query.format, params.id);
      },
    }),
  ];
}
