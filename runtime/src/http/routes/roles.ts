import { PERMISSIONS, type Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { roleName, signature } from '../inputs.ts';
import { LIMITS, list, object, oneOf, requiredText, text } from '../schema.ts';

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
      handle: async ({ principal, params, body: { signature, ...role } }) =>
        ok(await engine.identity.defineRole(principal, { name: params.name, ...role }, signature)),
    }),
  ];
}
