import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { SECURITY_SUBJECT, type Subject } from '../audit/types.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { roleSignedContent } from './signedContent.ts';
import { conflictsIn, describeConflicts, refuseConflicts } from '../kernel/permissionConflicts.ts';
import {
  securityChangeRepository,
  type SecurityChange,
  type SecurityChangeKind,
  type SecurityChangeStatus,
} from './securityChangeRepository.ts';
import { segregation } from '../signatures/segregation.ts';
import {
  eventActor,
  isPermission,
  requirePermission,
  type Principal,
  type RoleDefinition,
} from './permissions.ts';
import { userRepository, type UserRow } from './userRepository.ts';
import { type IdentityContext, appendSerialized } from './identityContext.ts';
import type { SignatureInput } from './identityTypes.ts';
import type { UserAdministration } from './userAdministration.ts';

const ROLE_NAME = /^[a-z][a-z0-9_-]{1,39}$/;

/**
 * Roles and their permissions, and the dual control of security administration: a change of
 * permissions or a grant of GMP approval authority proposed by one administrator and decided by
 * another (A3, C4).
 */
export function createRoleAdministration(
  ctx: IdentityContext,
  users: Pick<UserAdministration, 'checkGrant' | 'applyUserRoles'>,
) {
  const { knex, clock, settings, tx, loadUser, reauthenticate, signerOf } = ctx;
  const { checkGrant, applyUserRoles } = users;

  async function listRoles(principal: Principal) {
    requirePermission(principal, 'roles.manage');
    return userRepository.listRoles(knex);
  }

  /** Defines a new role or changes one: a configuration change, audited and e-signed (A3, C4). */
  /** Checks a role definition whoever makes it: a valid name and text, known permissions, no conflict. */
  function checkRoleDefinition(principal: Principal, role: RoleDefinition): RoleDefinition {
    requirePermission(principal, 'roles.manage');
    if (typeof role.name !== 'string' || !ROLE_NAME.test(role.name)) {
      throw new InputError('The role name is not valid', [
        {
          pointer: '/name',
          keyword: 'pattern',
          message: 'must be 2–40 lower-case letters, digits, dashes or underscores',
        },
      ]);
    }
    const checked = {
      name: role.name,
      title: requireText(role.title, '/title', 100),
      description: optionalText(role.description, '/description', 1000) ?? '',
      permissions: role.permissions,
    };
    const unknown = checked.permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) {
      throw new InputError(`Unknown permission: ${unknown.join(', ')}`, [
        {
          pointer: '/permissions',
          keyword: 'enum',
          message: `has unknown permissions: ${unknown.join(', ')}`,
        },
      ]);
    }
    if (principal.roles.includes(checked.name)) {
      throw new NotAllowedError(
        `Nobody may change a role they hold: another administrator changes the role ${checked.name}`,
      );
    }
    refuseConflicts(
      checked.permissions,
      settings.permissionConflicts,
      '/permissions',
      `The role ${checked.name}`,
    );
    return { ...checked, permissions: [...new Set(checked.permissions)].sort() };
  }

  /** Writes a role definition with its audit event and the approving signature (A3, C4). */
  async function applyRole(
    trx: Knex.Transaction,
    change: {
      role: RoleDefinition;
      /** The version the change was decided against; null for a role that is new. */
      version?: number | null;
      actor: Principal;
      signer: UserRow;
      reason: string | null;
      payload?: Record<string, unknown>;
    },
  ): Promise<void> {
    const next = change.role;
    const existing = await userRepository.findRole(trx, next.name);
    if (change.version !== undefined && (existing?.version ?? null) !== change.version) {
      throw new ConflictError(`The role ${next.name} was changed since the change was proposed`);
    }
    const holders = existing ? await userRepository.otherPermissionsOfHolders(trx, next.name) : [];
    const clashes = holders
      .map((h) => ({
        username: h.username,
        pairs: conflictsIn([...h.permissions, ...next.permissions], settings.permissionConflicts),
      }))
      .filter((h) => h.pairs.length > 0);
    if (clashes.length > 0) {
      throw new InputError(
        `Holders of the role ${next.name} would combine permissions that must stay apart: ` +
          clashes.map((c) => `${c.username} (${describeConflicts(c.pairs)})`).join('; '),
        [
          {
            pointer: '/permissions',
            keyword: 'segregation',
            message: 'conflicts with other roles of its holders',
          },
        ],
      );
    }
    const id = existing?.id ?? randomUUID();
    if (existing) {
      if (!(await userRepository.updateRole(trx, next, existing.version))) {
        throw new ConflictError('The role was changed at the same time; reload and try again');
      }
    } else {
      await userRepository.insertRole(trx, id, next);
    }
    const changes = (['title', 'description', 'permissions'] as const)
      .filter((k) => JSON.stringify(existing?.[k] ?? null) !== JSON.stringify(next[k]))
      .map((k) => ({ path: `/${k}`, old: existing?.[k] ?? null, new: next[k] }));
    const subject: Subject = { id, type: 'role' };
    await appendSerialized(trx, clock, subject, eventActor(change.actor), [
      {
        type: existing ? 'role.changed' : 'role.created',
        payload: { ...change.payload, name: next.name, changes },
        reason: change.reason,
      },
    ]);
    await writeSignature(
      trx,
      clock,
      subject,
      await roleSignedContent(trx, id),
      signerOf(change.signer),
      'Approved',
      change.reason,
    );
  }

  const permissionsChange = async (role: RoleDefinition) => {
    const existing = await userRepository.findRole(knex, role.name);
    return {
      existing,
      changes: JSON.stringify(existing?.permissions ?? null) !== JSON.stringify(role.permissions),
    };
  };

  /**
   * Defines a new role or changes one: a configuration change, audited and e-signed (A3, C4).
   * Under dual control a change of permissions is proposed instead, for a second administrator.
   */
  async function defineRole(principal: Principal, role: RoleDefinition, signature: SignatureInput) {
    const next = checkRoleDefinition(principal, role);
    if (settings.dualControl && (await permissionsChange(next)).changes) {
      throw new NotAllowedError(
        `The permissions of a role change only with a second administrator: propose the change to ${next.name}`,
      );
    }
    const admin = await reauthenticate(principal, signature.password);
    await tx((trx) =>
      applyRole(trx, { role: next, actor: principal, signer: admin, reason: signature.reason ?? null }),
    );
    return userRepository.findRole(knex, next.name);
  }

  /** Proposes a change of a role's permissions (dual control): nothing changes until approved. */
  async function proposeRole(principal: Principal, role: RoleDefinition, signature: SignatureInput) {
    const next = checkRoleDefinition(principal, role);
    const { existing, changes } = await permissionsChange(next);
    if (!changes) throw new InputError('The proposal changes no permission; change the role directly');
    const admin = await reauthenticate(principal, signature.password);
    return propose(principal, admin, {
      kind: 'role',
      target: next.name,
      proposal: next as unknown as Record<string, unknown>,
      baseVersion: existing?.version ?? null,
      reason: signature.reason ?? null,
    });
  }

  /** Proposes a grant or revocation of roles (dual control): nothing changes until approved. */
  async function proposeUserRoles(
    principal: Principal,
    userId: string,
    roles: string[],
    signature: SignatureInput,
  ) {
    const { wanted, before } = await checkGrant(principal, userId, roles);
    const admin = await reauthenticate(principal, signature.password);
    return propose(principal, admin, {
      kind: 'user-roles',
      target: userId,
      proposal: { roles: wanted, before: before.roles },
      baseVersion: before.version,
      reason: signature.reason ?? null,
    });
  }

  async function propose(
    principal: Principal,
    admin: UserRow,
    change: {
      kind: SecurityChangeKind;
      target: string;
      proposal: Record<string, unknown>;
      baseVersion: number | null;
      reason: string | null;
    },
  ): Promise<SecurityChange> {
    const id = randomUUID();
    await tx(async (trx) => {
      await securityChangeRepository.insert(trx, {
        id,
        kind: change.kind,
        target: change.target,
        proposal: change.proposal,
        base_version: change.baseVersion,
        status: 'pending',
        proposed_by: principal.userId,
        proposed_at: clock.now(),
        proposal_reason: change.reason,
      });
      await appendSerialized(trx, clock, SECURITY_SUBJECT, signerOf(admin), [
        {
          type: 'security.change_proposed',
          payload: {
            changeId: id,
            kind: change.kind,
            target: change.target,
            proposal: change.proposal,
            // The proposer typed their password again (B1): the proposal is theirs.
            signedBy: admin.username,
          },
          reason: change.reason,
        },
      ]);
    });
    return (await securityChangeRepository.find(knex, id)) as SecurityChange;
  }

  async function listSecurityChanges(principal: Principal, status?: SecurityChangeStatus) {
    requirePermission(principal, 'roles.manage');
    return securityChangeRepository.list(knex, status);
  }

  /**
   * Decides a proposed change as the second administrator (e-signed): someone other than the
   * proposer, not on a role they hold nor on their own grants, against the role or user as it
   * was proposed. Approval applies it with every check of a direct change, in one transaction.
   */
  async function decideSecurityChange(
    principal: Principal,
    changeId: string,
    decision: 'approved' | 'rejected',
    signature: SignatureInput,
  ): Promise<SecurityChange> {
    requirePermission(principal, 'roles.manage');
    const change = await securityChangeRepository.find(knex, changeId);
    if (!change) throw new NotFoundError(`There is no proposed change ${changeId}`);
    if (change.status !== 'pending') throw new ConflictError(`The change was already ${change.status}`);
    segregation.approverIsNotAuthor(change.proposedBy, principal.userId);
    if (change.kind === 'role' && principal.roles.includes(change.target)) {
      throw new NotAllowedError(`Nobody may decide a change to a role they hold (${change.target})`);
    }
    if (change.kind === 'user-roles' && change.target === principal.userId) {
      throw new NotAllowedError('Nobody may decide a change of their own roles');
    }
    const reason =
      decision === 'rejected'
        ? requireText(signature.reason, '/signature/reason', 1000)
        : (signature.reason ?? null);
    const admin = await reauthenticate(principal, signature.password);
    await tx(async (trx) => {
      if (
        !(await securityChangeRepository.decide(
          trx,
          changeId,
          change.version,
          decision,
          principal.userId,
          clock.now(),
          reason,
        ))
      ) {
        throw new ConflictError('The change was decided at the same time; reload');
      }
      const payload = { changeId, proposedBy: change.proposedBy };
      if (decision === 'approved' && change.kind === 'role') {
        const role = change.proposal as unknown as RoleDefinition;
        refuseConflicts(
          role.permissions,
          settings.permissionConflicts,
          '/permissions',
          `The role ${role.name}`,
        );
        await applyRole(trx, {
          role,
          version: change.baseVersion,
          actor: principal,
          signer: admin,
          reason,
          payload,
        });
      } else if (decision === 'approved') {
        const user = await loadUser(trx, change.target);
        if (user.version !== change.baseVersion) {
          throw new ConflictError('The user was changed since the grant was proposed; propose it again');
        }
        const wanted = change.proposal.roles as string[];
        refuseConflicts(
          await userRepository.permissionsOfRoles(trx, wanted),
          settings.permissionConflicts,
          '/roles',
          `The roles ${wanted.join(', ')}`,
        );
        await applyUserRoles(trx, {
          userId: user.id,
          version: user.version,
          before: user.roles,
          wanted,
          actor: principal,
          signer: admin,
          reason,
          payload,
        });
      }
      await appendSerialized(trx, clock, SECURITY_SUBJECT, signerOf(admin), [
        {
          type: `security.change_${decision}`,
          payload: { changeId, kind: change.kind, target: change.target },
          reason,
        },
      ]);
    });
    return (await securityChangeRepository.find(knex, changeId)) as SecurityChange;
  }

  return { listRoles, defineRole, proposeRole, proposeUserRoles, listSecurityChanges, decideSecurityChange };
}
