import type { Permission, Principal } from '../kernel/permissions.ts';
import { createIdentityContext } from './identityContext.ts';
import type { RoleDefinition } from './permissions.ts';
import type { SecurityChange, SecurityChangeStatus } from './securityChangeRepository.ts';
import type { User, UserRow } from './userRepository.ts';
import type { IdentityDeps, LoginResult, NewUser, SignatureInput } from './identityTypes.ts';
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

/** Identity: sessions and signing in, users and their grants, roles and security changes. */
export interface IdentityService {
  login(input: {
    username: string;
    password: string;
    client?: string | null;
    address?: string | null;
  }): Promise<LoginResult>;
  authenticate(sessionId: string, options?: { allowPasswordChange?: boolean }): Promise<Principal>;
  logout(principal: Principal): Promise<void>;
  changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void>;
  /** The signer of an act, by the password they typed again (B1); a wrong one counts towards lockout. */
  reauthenticate(principal: Principal, password: unknown): Promise<UserRow>;
  /** A second person at the same device, by their own user name and password (A7). */
  signerByCredentials(
    username: unknown,
    password: unknown,
  ): Promise<{ user: UserRow; roles: string[]; permissions: ReadonlySet<Permission> }>;

  createUser(
    principal: Principal,
    input: NewUser,
    signature: SignatureInput,
  ): Promise<{ user: User; oneTimePassword: string }>;
  setUserRoles(
    principal: Principal,
    userId: string,
    roles: string[],
    signature: SignatureInput,
  ): Promise<User>;
  setActive(principal: Principal, userId: string, active: boolean, reason: string): Promise<User>;
  setLanguage(principal: Principal, language: string): Promise<User>;
  resetPassword(
    principal: Principal,
    userId: string,
    reason: string,
  ): Promise<{ user: User; oneTimePassword: string }>;
  unlockUser(principal: Principal, userId: string, reason: string): Promise<User>;
  breakGlassUnlock(input: { username: string; reason: string; osUser: string; host: string }): Promise<User>;
  listUsers(principal: Principal): Promise<User[]>;
  getUser(principal: Principal, userId: string): Promise<User>;
  bootstrapUser(input: NewUser & { password: string; mustChangePassword: boolean }): Promise<User>;

  listRoles(principal: Principal): Promise<Role[]>;
  defineRole(
    principal: Principal,
    role: RoleDefinition,
    signature: SignatureInput,
  ): Promise<Role | undefined>;
  proposeRole(principal: Principal, role: RoleDefinition, signature: SignatureInput): Promise<SecurityChange>;
  proposeUserRoles(
    principal: Principal,
    userId: string,
    roles: string[],
    signature: SignatureInput,
  ): Promise<SecurityChange>;
  listSecurityChanges(principal: Principal, status?: SecurityChangeStatus): Promise<SecurityChange[]>;
  decideSecurityChange(
    principal: Principal,
    changeId: string,
    decision: 'approved' | 'rejected',
    signature: SignatureInput,
  ): Promise<SecurityChange>;
}

/** A role as stored: its definition, id and version. */
export type Role = RoleDefinition & { id: string; version: number };

/**
 * Identity (A1–A9): sessions and signing in, users and their grants, roles and the dual control of
 * security administration, each in a module of its own over one shared context.
 */
export function createIdentityService(deps: IdentityDeps): IdentityService {
  const ctx = createIdentityContext(deps);
  const { checkGrant, applyUserRoles, ...users } = createUserAdministration(ctx);
  return {
    ...createSessions(ctx),
    reauthenticate: ctx.reauthenticate,
    ...users,
    ...createRoleAdministration(ctx, { checkGrant, applyUserRoles }),
  };
}
