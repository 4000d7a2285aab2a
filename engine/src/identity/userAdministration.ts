import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { passwordDigest } from '../audit/stateDigest.ts';
import { SECURITY_SUBJECT, SYSTEM_ACTOR, type EventActor } from '../audit/types.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { userSignedContent } from './signedContent.ts';
import { throttleKeys } from './loginThrottle.ts';
import { GMP_APPROVAL, refuseConflicts } from '../kernel/permissionConflicts.ts';
import { generateOneTimePassword, hashPassword } from './passwords.ts';
import { BUILT_IN_ROLES, eventActor, requirePermission, type Principal } from './permissions.ts';
import { toUser, userRepository, type User, type UserRow } from './userRepository.ts';
import { type IdentityContext, appendSerialized, requireReason, userSubject } from './identityContext.ts';
import { LANGUAGES, type NewUser, type SignatureInput } from './identityTypes.ts';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

export type UserAdministration = ReturnType<typeof createUserAdministration>;

/** Users and their grants, as administrators manage them (A1, A3, A4, A6), and the first user at installation. */
export function createUserAdministration(ctx: IdentityContext) {
  const { knex, clock, settings, tx, throttle, loadUser, reauthenticate, signerOf } = ctx;

  async function checkRoles(roles: unknown): Promise<string[]> {
    if (!Array.isArray(roles) || roles.some((r) => typeof r !== 'string')) {
      throw new InputError('Roles must be a list of role names', [
        { pointer: '/roles', keyword: 'type', message: 'must be a list of role names' },
      ]);
    }
    const wanted = [...new Set(roles as string[])].sort();
    const known = await userRepository.existingRoles(knex, wanted);
    const unknown = wanted.filter((r) => !known.includes(r));
    if (unknown.length > 0) {
      throw new InputError(`Unknown role: ${unknown.join(', ')}`, [
        { pointer: '/roles', keyword: 'enum', message: `has unknown roles: ${unknown.join(', ')}` },
      ]);
    }
    refuseConflicts(
      await userRepository.permissionsOfRoles(knex, wanted),
      settings.permissionConflicts,
      '/roles',
      `The roles ${wanted.join(', ')}`,
    );
    return wanted;
  }

  /** The name fields of a new user, checked whoever creates it (API, CLI, installation). */
  function checkNewUser(input: NewUser): { username: string; printedName: string; email: string | null } {
    const username = requireText(input.username, '/username', 63).toLowerCase();
    if (!USERNAME.test(username)) {
      throw new InputError('The user name is not valid', [
        {
          pointer: '/username',
          keyword: 'pattern',
          message: 'must be 2–63 lower-case letters, digits, dots, dashes or underscores',
        },
      ]);
    }
    return {
      username,
      printedName: requireText(input.printedName, '/printedName', 200),
      email: optionalText(input.email, '/email', 254),
    };
  }

  /** Writes a new user with its roles and the audited creation, in the caller's transaction. */
  async function insertUser(
    trx: Knex.Transaction,
    user: {
      id: string;
      username: string;
      printedName: string;
      email: string | null;
      hash: string;
      mustChangePassword: boolean;
      language: string | undefined;
      roles: string[];
      /** The administrator granting the roles; null at installation, when the system does. */
      grantedBy: Principal | null;
      reason: string | null;
    },
  ): Promise<void> {
    if (await userRepository.findByUsername(trx, user.username)) {
      throw new ConflictError(`The user name ${user.username} is taken; user names are never reused`);
    }
    const now = clock.now();
    await userRepository.insert(trx, {
      id: user.id,
      username: user.username,
      printed_name: user.printedName,
      email: user.email,
      password_hash: user.hash,
      password_changed_at: now,
      must_change_password: user.mustChangePassword,
      failed_logins: 0,
      locked_at: null,
      active: true,
      language: user.language ?? 'en',
      created_at: now,
      version: 1,
    });
    await userRepository.setRoles(trx, user.id, user.roles, user.grantedBy?.userId ?? null, now);
    const actor = user.grantedBy ? eventActor(user.grantedBy) : SYSTEM_ACTOR;
    await appendSerialized(trx, clock, userSubject(user.id), actor, [
      {
        type: 'user.created',
        payload: {
          changes: [
            { path: '/username', old: null, new: user.username },
            { path: '/printedName', old: null, new: user.printedName },
            { path: '/email', old: null, new: user.email },
            { path: '/roles', old: [], new: user.roles },
          ],
          language: user.language ?? 'en',
          mustChangePassword: user.mustChangePassword,
          passwordDigest: passwordDigest(user.hash),
          passwordChangedAt: now.toISOString(),
        },
        reason: user.reason,
      },
    ]);
  }

  /** Creates a user with a one-time password; granting roles makes it an e-signed act (A3). */
  async function createUser(
    principal: Principal,
    input: NewUser,
    signature: SignatureInput,
  ): Promise<{ user: User; oneTimePassword: string }> {
    requirePermission(principal, 'users.manage');
    const person = checkNewUser(input);
    const roles = await checkRoles(input.roles);
    if (settings.dualControl && (await grantsGmpApproval(knex, roles))) {
      throw new NotAllowedError(
        'Roles with GMP approval authority are granted with a second administrator: create the user, then propose the grant',
      );
    }
    const admin = await reauthenticate(principal, signature.password);
    const oneTimePassword = generateOneTimePassword();
    const hash = await hashPassword(oneTimePassword, settings);
    const id = randomUUID();
    await tx(async (trx) => {
      await insertUser(trx, {
        id,
        ...person,
        hash,
        mustChangePassword: true,
        language: input.language,
        roles,
        grantedBy: principal,
        reason: signature.reason ?? null,
      });
      await writeSignature(
        trx,
        clock,
        userSubject(id),
        await userSignedContent(trx, id),
        { userId: admin.id, username: admin.username, printedName: admin.printed_name },
        'Approved',
        signature.reason ?? null,
      );
    });
    return { user: await loadUser(knex, id), oneTimePassword };
  }

  /** Whether roles carry GMP approval authority, so granting them needs a second administrator. */
  const grantsGmpApproval = async (db: Knex | Knex.Transaction, roles: string[]) =>
    (await userRepository.permissionsOfRoles(db, roles)).some((p) => (GMP_APPROVAL as string[]).includes(p));

  /** Writes a grant or revocation with its audit events and the approving signature (A3). */
  async function applyUserRoles(
    trx: Knex.Transaction,
    change: {
      userId: string;
      version: number;
      before: string[];
      wanted: string[];
      actor: Principal;
      signer: UserRow;
      reason: string | null;
      payload?: Record<string, unknown>;
    },
  ): Promise<void> {
    if (!(await userRepository.update(trx, change.userId, change.version, {}))) {
      throw new ConflictError('The user was changed at the same time; reload and try again');
    }
    await userRepository.setRoles(trx, change.userId, change.wanted, change.actor.userId, clock.now());
    await appendSerialized(trx, clock, userSubject(change.userId), eventActor(change.actor), [
      {
        type: 'user.roles_changed',
        payload: { ...change.payload, changes: [{ path: '/roles', old: change.before, new: change.wanted }] },
        reason: change.reason,
      },
    ]);
    await writeSignature(
      trx,
      clock,
      userSubject(change.userId),
      await userSignedContent(trx, change.userId),
      signerOf(change.signer),
      'Approved',
      change.reason,
    );
  }

  /** Checks a grant whoever makes it: authority, nobody their own, known roles without conflicts. */
  async function checkGrant(principal: Principal, userId: string, roles: string[]) {
    requirePermission(principal, 'roles.manage');
    if (userId === principal.userId) throw new NotAllowedError('Nobody may change their own roles');
    const wanted = await checkRoles(roles);
    const before = await loadUser(knex, userId);
    return { wanted, before };
  }

  /**
   * Grants and revokes roles: audited with old and new, and e-signed by the administrator (A3).
   * Under dual control a grant of GMP approval authority is proposed instead, for a second
   * administrator to approve.
   */
  async function setUserRoles(
    principal: Principal,
    userId: string,
    roles: string[],
    signature: SignatureInput,
  ): Promise<User> {
    const { wanted, before } = await checkGrant(principal, userId, roles);
    const added = wanted.filter((r) => !before.roles.includes(r));
    if (settings.dualControl && (await grantsGmpApproval(knex, added))) {
      throw new NotAllowedError(
        `Granting ${added.join(', ')} gives GMP approval authority: propose the grant for a second administrator to approve`,
      );
    }
    const admin = await reauthenticate(principal, signature.password);
    await tx((trx) =>
      applyUserRoles(trx, {
        userId,
        version: before.version,
        before: before.roles,
        wanted,
        actor: principal,
        signer: admin,
        reason: signature.reason ?? null,
      }),
    );
    return loadUser(knex, userId);
  }

  /** Deactivates or reactivates a user; users are never deleted (A1). */
  async function setActive(
    principal: Principal,
    userId: string,
    active: boolean,
    reason: string,
  ): Promise<User> {
    requirePermission(principal, 'users.manage');
    const why = requireReason(reason);
    if (userId === principal.userId)
      throw new NotAllowedError('Nobody may deactivate or reactivate themselves');
    const before = await loadUser(knex, userId);
    if (before.active === active) return before;
    await tx(async (trx) => {
      const now = clock.now();
      if (!(await userRepository.update(trx, userId, before.version, { active }))) {
        throw new ConflictError('The user was changed at the same time; reload and try again');
      }
      if (!active) await userRepository.endSessionsOf(trx, userId, now, 'deactivated');
      await appendSerialized(trx, clock, userSubject(userId), eventActor(principal), [
        {
          type: active ? 'user.reactivated' : 'user.deactivated',
          payload: { changes: [{ path: '/active', old: before.active, new: active }] },
          reason: why,
        },
      ]);
    });
    return loadUser(knex, userId);
  }

  /** Each person picks the language of their screens; the change is in their account's audit trail. */
  async function setLanguage(principal: Principal, language: string): Promise<User> {
    if (!(LANGUAGES as readonly string[]).includes(language)) {
      throw new InputError(`The language must be one of ${LANGUAGES.join(', ')}`, [
        { pointer: '/language', keyword: 'enum', message: `must be one of ${LANGUAGES.join(', ')}` },
      ]);
    }
    const before = await loadUser(knex, principal.userId);
    if (before.language === language) return before;
    await tx(async (trx) => {
      if (!(await userRepository.update(trx, principal.userId, before.version, { language }))) {
        throw new ConflictError('The user was changed at the same time; reload and try again');
      }
      await appendSerialized(trx, clock, userSubject(principal.userId), eventActor(principal), [
        {
          type: 'user.updated',
          payload: { changes: [{ path: '/language', old: before.language, new: language }] },
        },
      ]);
    });
    return loadUser(knex, principal.userId);
  }

  /**
   * An administrator's reset (A6): a one-time password that must be changed at the next login,
   * the lock lifted, every open session of the user ended.
   */
  async function resetPassword(
    principal: Principal,
    userId: string,
    reason: string,
  ): Promise<{ user: User; oneTimePassword: string }> {
    requirePermission(principal, 'users.manage');
    const why = requireReason(reason);
    if (userId === principal.userId)
      throw new NotAllowedError('Administrators change their own password, they do not reset it');
    const before = await loadUser(knex, userId);
    const oneTimePassword = generateOneTimePassword();
    const hash = await hashPassword(oneTimePassword, settings);
    await tx(async (trx) => {
      const now = clock.now();
      const row = (await userRepository.findById(trx, userId)) as UserRow;
      await userRepository.addPasswordHistory(trx, userId, row.password_hash, now);
      if (
        !(await userRepository.update(trx, userId, before.version, {
          password_hash: hash,
          password_changed_at: now,
          must_change_password: true,
          failed_logins: 0,
          locked_at: null,
        }))
      ) {
        throw new ConflictError('The user was changed at the same time; reload and try again');
      }
      await userRepository.endSessionsOf(trx, userId, now, 'password-reset');
      await throttle.cleared(throttleKeys(row.username, null).account, trx);
      await appendSerialized(trx, clock, userSubject(userId), eventActor(principal), [
        {
          type: 'user.password_reset',
          payload: {
            changes: [{ path: '/locked', old: before.locked, new: false }],
            passwordDigest: passwordDigest(hash),
            passwordChangedAt: now.toISOString(),
          },
          reason: why,
        },
      ]);
    });
    return { user: await loadUser(knex, userId), oneTimePassword };
  }

  /** Lifts a lock and the failed-login count, in the caller's transaction, with the audited why. */
  async function liftLock(
    trx: Knex.Transaction,
    row: UserRow,
    actor: EventActor,
    reason: string,
    payload: Record<string, unknown> = {},
  ): Promise<void> {
    if (!(await userRepository.update(trx, row.id, row.version, { failed_logins: 0, locked_at: null }))) {
      throw new ConflictError('The user was changed at the same time; reload and try again');
    }
    await throttle.cleared(throttleKeys(row.username, null).account, trx);
    await appendSerialized(trx, clock, userSubject(row.id), actor, [
      {
        type: 'user.unlocked',
        payload: {
          ...payload,
          changes: [
            { path: '/locked', old: row.locked_at !== null, new: false },
            { path: '/failedLogins', old: row.failed_logins, new: 0 },
          ],
        },
        reason,
      },
    ]);
  }

  /**
   * Another administrator lifts a lock, say of the only other administrator after guesses at their
   * account: the password stays as it was, and the act is reasoned and audited (A4, C4).
   */
  async function unlockUser(principal: Principal, userId: string, reason: string): Promise<User> {
    requirePermission(principal, 'users.manage');
    const why = requireReason(reason);
    if (userId === principal.userId) throw new NotAllowedError('Nobody may unlock themselves');
    const row = await userRepository.findById(knex, userId);
    if (!row) throw new NotFoundError(`There is no user ${userId}`);
    if (row.locked_at === null && row.failed_logins === 0) return loadUser(knex, userId);
    await tx((trx) => liftLock(trx, row, eventActor(principal), why));
    return loadUser(knex, userId);
  }

  /**
   * Break glass: someone with access to the server itself lifts a lock when no other administrator
   * can (the only one is locked). Recorded as the system acting for the operating-system user,
   * with their reason and the host, in the account's audit trail and the security log.
   */
  async function breakGlassUnlock(input: {
    username: string;
    reason: string;
    osUser: string;
    host: string;
  }): Promise<User> {
    const why = requireReason(input.reason);
    const row = await userRepository.findByUsername(knex, input.username.trim().toLowerCase());
    if (!row) throw new NotFoundError(`There is no user ${input.username}`);
    const payload = { breakGlass: true, osUser: input.osUser, host: input.host, username: row.username };
    const actor = {
      userId: null,
      printedName: `Attest (break glass, OS user ${input.osUser}@${input.host})`,
    };
    await tx(async (trx) => {
      await liftLock(trx, row, actor, why, payload);
      await appendSerialized(trx, clock, SECURITY_SUBJECT, actor, [
        { type: 'security.break_glass', payload: { ...payload, act: 'unlock', userId: row.id }, reason: why },
      ]);
    });
    return loadUser(knex, row.id);
  }

  async function listUsers(principal: Principal): Promise<User[]> {
    requirePermission(principal, 'users.manage');
    const [rows, roles] = await Promise.all([userRepository.list(knex), userRepository.rolesByUser(knex)]);
    return rows.map((r) => toUser(r, roles.get(r.id) ?? []));
  }

  async function getUser(principal: Principal, userId: string): Promise<User> {
    if (userId !== principal.userId) requirePermission(principal, 'users.manage');
    return loadUser(knex, userId);
  }

  /**
   * Creates the built-in roles and a first user directly, at installation, as the system: there
   * is nobody yet to sign. Used by `seed-demo` and by tests.
   */
  async function bootstrapUser(
    input: NewUser & { password: string; mustChangePassword: boolean },
  ): Promise<User> {
    const person = checkNewUser(input);
    const hash = await hashPassword(input.password, settings);
    const id = randomUUID();
    await tx(async (trx) => {
      for (const role of BUILT_IN_ROLES) {
        if (!(await userRepository.findRole(trx, role.name))) {
          const roleId = randomUUID();
          await userRepository.insertRole(trx, roleId, role);
          await appendSerialized(trx, clock, { id: roleId, type: 'role' }, SYSTEM_ACTOR, [
            {
              type: 'role.created',
              payload: {
                name: role.name,
                changes: [
                  { path: '/title', old: null, new: role.title },
                  { path: '/description', old: null, new: role.description },
                  { path: '/permissions', old: null, new: role.permissions },
                ],
              },
            },
          ]);
        }
      }
      await insertUser(trx, {
        id,
        ...person,
        hash,
        mustChangePassword: input.mustChangePassword,
        language: input.language,
        roles: await userRepository.existingRoles(trx, input.roles),
        grantedBy: null,
        reason: 'installation',
      });
    });
    return loadUser(knex, id);
  }

  return {
    checkGrant,
    applyUserRoles,
    createUser,
    setUserRoles,
    setActive,
    setLanguage,
    resetPassword,
    unlockUser,
    breakGlassUnlock,
    listUsers,
    getUser,
    bootstrapUser,
  };
}
