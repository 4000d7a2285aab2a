import { createIdentityContext } from './identityContext.ts';
import type { IdentityDeps } from './identityTypes.ts';
import { createRoleAdministration } from './roleAdministration.ts';
import { createSessions } from './sessions.ts';
import { createUserAdministration } from './userAdministration.ts';

export {
  LANGUAGES,
  type IdentityDeps,
  type LoginResult,
  type NewUser,
  type SignatureInput,
} from './identityTypes.ts';

export type IdentityService = ReturnType<typeof createIdentityService>;

/**
 * Identity (A1–A9): sessions and signing in, users and their grants, roles and the dual control of
 * security administration, each in a module of its own over one shared context.
 */
export function createIdentityService(deps: IdentityDeps) {
  const ctx = createIdentityContext(deps);
  const { checkGrant, applyUserRoles, ...users } = createUserAdministration(ctx);
  return {
    ...createSessions(ctx),
    reauthenticate: ctx.reauthenticate,
    ...users,
    ...createRoleAdministration(ctx, { checkGrant, applyUserRoles }),
  };
}
