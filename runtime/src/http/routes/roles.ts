import { PERMISSIONS, type Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { roleName, signature } from '../inputs.ts';
import { LIMITS, list, object, oneOf, requiredText, text, uuid } from '../schema.ts';

const roleDefinition = object(
  {
    title: requiredText(LIMITS.name, 'Human name of the role'),
    description: text(LIMITS.reason, 'What the role is for'),
    permissions: list(
      oneOf(Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]),
      50,
      'Permissions granted',
    ),
    signature,
  },
  ['title', 'description', 'permissions', 'signature'],
);

export function roleOperations(engine: Engine) {
  return [
    operation({
      id: 'listRoles',
      method: 'get',
      path: '/api/roles',
      tag: 'roles',
      summary: 'All roles and their permissions',
      access: 'session',
      responses: { 200: json('The roles', listOf('roles', 'Role', 'Roles by name')) },
      handle: async ({ principal }) => ok({ roles: await engine.identity.listRoles(principal) }),
    }),
    operation({
      id: 'defineRole',
      method: 'put',
      path: '/api/roles/{name}',
      tag: 'roles',
      summary: 'Define a role or change one (e-signed, A3)',
      access: 'session',
      params: object({ name: roleName }, ['name']),
      body: roleDefinition,
      responses: { 200: json('The role as it now is', ref('Role')) },
      problems: [409, 423],
      // The role was written in the same call, so reading it back finds it.
      handle: async ({ principal, params, body: { signature, ...role } }) =>
        ok((await engine.identity.defineRole(principal, { name: params.name, ...role }, signature))!),
    }),
    operation({
      id: 'proposeRole',
      method: 'post',
      path: '/api/roles/{name}/proposals',
      tag: 'roles',
      summary: 'Propose a new role or a change of permissions, for a second administrator (A3)',
      description:
        'Dual control: the proposer signs with their password; nothing changes until another ' +
        'administrator, who does not hold the role, approves it.',
      access: 'session',
      params: object({ name: roleName }, ['name']),
      body: roleDefinition,
      responses: { 201: json('The proposed change, pending', ref('SecurityChange')) },
      problems: [409, 423],
      handle: async ({ principal, params, body: { signature, ...role } }) => {
        const change = await engine.identity.proposeRole(
          principal,
          { name: params.name, ...role },
          signature,
        );
        return created(change, `/api/security-changes/${change.id}`);
      },
    }),
    operation({
      id: 'listSecurityChanges',
      method: 'get',
      path: '/api/security-changes',
      tag: 'roles',
      summary: 'Changes to roles and grants proposed for a second administrator, pending or decided',
      access: 'session',
      query: object({ status: oneOf(['pending', 'approved', 'rejected'] as const, 'Only these') }, []),
      responses: {
        200: json('The changes, oldest first', listOf('changes', 'SecurityChange', 'Proposed changes')),
      },
      handle: async ({ principal, query }) =>
        ok({ changes: await engine.identity.listSecurityChanges(principal, query.status) }),
    }),
    ...(['approve', 'reject'] as const).map((decision) =>
      operation({
        id: `${decision}SecurityChange`,
        method: 'post',
        path: `/api/security-changes/{id}/${decision}`,
        tag: 'roles',
        summary:
          decision === 'approve'
            ? 'Approve a proposed change as the second administrator (e-signed); it takes effect at once'
            : 'Reject a proposed change (e-signed, with a reason); nothing changes',
        access: 'session',
        params: object({ id: uuid('Change id') }, ['id']),
        body: object({ signature }, ['signature']),
        responses: { 200: json('The change as decided', ref('SecurityChange')) },
        problems: [409, 423],
        handle: async ({ principal, params, body }) =>
          ok(
            await engine.identity.decideSecurityChange(
              principal,
              params.id,
              decision === 'approve' ? 'approved' : 'rejected',
              body.signature,
            ),
          ),
      }),
    ),
  ];
}
