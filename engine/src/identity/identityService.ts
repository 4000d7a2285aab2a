import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { passwordDigest } from '../audit/stateDigest.ts';
import {
  SECURITY_SUBJECT,
  SYSTEM_ACTOR,
  type EventActor,
  type EventDraft,
  type Subject,
} from '../audit/types.ts';
import type { Clock } from '../clock.ts';
import {
  AccountLockedError,
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  PasswordChangeRequiredError,
  TooManyAttemptsError,
} from '../errors.ts';
import type { Settings } from '../settings.ts';

/** The languages of the user interface. */
export const LANGUAGES = ['en', 'zh-CN'] as const;
import { optionalText, requireText } from '../textInput.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { createLoginThrottle, throttleKeys } from './loginThrottle.ts';
import { checkPassword } from './passwordPolicy.ts';
import { conflictsIn, describeConflicts, GMP_APPROVAL, refuseConflicts } from './permissionConflicts.ts';
import {
  securityChangeRepository,
  type SecurityChange,
  type SecurityChangeKind,
  type SecurityChangeStatus,
} from './securityChangeRepository.ts';
import { segregation } from './segregation.ts';
import { dummyPasswordHash, generateOneTimePassword, hashPassword, verifyPassword } from './passwords.ts';
import {
  BUILT_IN_ROLES,
  eventActor,
  isPermission,
  requirePermission,
  type Permission,
  type Principal,
  type RoleDefinition,
} from './permissions.ts';
import { toUser, userRepository, type User, type UserRow } from './userRepository.ts';

export interface IdentityDeps {
  knex: Knex;
  clock: Clock;
  settings: Settings;
}

export interface LoginResult {
  sessionId: string;
  user: User;
  /** The password is a one-time password or has aged: nothing but a change is allowed. */
  mustChangePassword: boolean;
}

export interface NewUser {
  username: string;
  printedName: string;
  email?: string | null;
  roles: string[];
  language?: string;
}

/** A password typed again to sign an act (B1), and why, where a reason is required. */
export interface SignatureInput {
  password: string;
  reason?: string | null;
}

const userSubject = (id: string): Subject => ({ id, type: 'user' });
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const ROLE_NAME = /^[a-z][a-z0-9_-]{1,39}$/;

export type IdentityService = ReturnType<typeof createIdentityService>;

/**
 * Appends to an account's (or the security log's) chain after taking a transaction lock on it:
 * two logins of one person at the same moment, or two guesses at once, are written one after the
 * other instead of colliding on the chain's next number (a conflict is not a failed login).
 */
async function appendSerialized(
  trx: Knex.Transaction,
  clock: Clock,
  subject: Subject,
  actor: EventActor,
  drafts: EventDraft[],
): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [subject.id]);
  await appendEvents(trx, clock, subject, actor, drafts);
}

export function createIdentityService({ knex, clock, settings }: IdentityDeps) {
  const tx = <T>(fn: (trx: Knex.Transaction) => Promise<T>) => knex.transaction(fn);
  const throttle = createLoginThrottle(knex, clock, settings.loginThrottle);

  const passwordExpired = (row: UserRow) =>
    settings.passwordPolicy.maxAgeDays > 0 &&
    clock.now().getTime() - row.password_changed_at.getTime() >
      settings.passwordPolicy.maxAgeDays * 86_400_000;

  async function loadUser(db: Knex | Knex.Transaction, id: string): Promise<User> {
    const row = await userRepository.findById(db, id);
    if (!row) throw new NotFoundError(`There is no user ${id}`);
    return toUser(row, await userRepository.rolesOf(db, id));
  }

  /**
   * Counts a wrong password against the account and locks it at the threshold, recording both as
   * security events (A4, C4). Committed on its own, whatever the caller does next.
   */
  async function recordFailure(row: UserRow, what: 'login' | 'signature'): Promise<void> {
    await tx(async (trx) => {
      const failures = await userRepository.countFailure(trx, row.id);
      const drafts = [
        { type: `auth.${what}_failed`, payload: { username: row.username, failedAttempts: failures } },
      ];
      const lock = failures >= settings.lockoutThreshold && row.locked_at === null;
      if (lock) {
        const now = clock.now();
        await userRepository.lock(trx, row.id, now);
        await userRepository.endSessionsOf(trx, row.id, now, 'locked');
        drafts.push({
          type: 'auth.locked',
          payload: { username: row.username, failedAttempts: failures },
        });
      }
      await appendSerialized(trx, clock, userSubject(row.id), SYSTEM_ACTOR, drafts);
    });
  }

  /**
   * Re-authentication for a signature or another sensitive act (B1): the person signing types
   * their password again. A wrong one counts towards lockout like a failed login.
   */
  async function reauthenticate(principal: Principal, password: unknown): Promise<UserRow> {
    if (typeof password !== 'string' || password.length === 0) {
      throw new InputError('The password is required to sign', [
        { pointer: '/password', keyword: 'required', message: 'is required to sign' },
      ]);
    }
    const row = await userRepository.findById(knex, principal.userId);
    if (!row || !row.active) throw new AuthenticationError('The account is no longer active');
    if (row.locked_at) throw new AccountLockedError();
    if (!(await verifyPassword(row.password_hash, password))) {
      await recordFailure(row, 'signature');
      throw new AuthenticationError('The password is wrong; nothing was signed');
    }
    if (row.failed_logins > 0) await userRepository.clearFailures(knex, row.id);
    return row;
  }

  /**
   * A second person signing at someone else's device (a verifier at the operator's tablet, A7):
   * they give their own user id and password, checked like a signature (B1). A wrong password
   * counts towards their lockout. Returns who they are and what they may do.
   */
  async function signerByCredentials(
    username: unknown,
    password: unknown,
  ): Promise<{ user: UserRow; roles: string[]; permissions: ReadonlySet<Permission> }> {
    const missing = [
      ...(typeof username !== 'string' || !username.trim() ? ['/username'] : []),
      ...(typeof password !== 'string' || password === '' ? ['/password'] : []),
    ];
    if (missing.length > 0) {
      throw new InputError(
        'The user id and password of the person signing are required',
        missing.map((pointer) => ({ pointer, keyword: 'required', message: 'is required to sign' })),
      );
    }
    const row = await userRepository.findByUsername(knex, (username as string).trim().toLowerCase());
    if (!row) {
      await verifyPassword(await dummyPasswordHash(settings), password as string);
      throw new AuthenticationError('Wrong user name or password; nothing was signed');
    }
    if (row.locked_at) throw new AccountLockedError();
    if (!row.active) throw new AuthenticationError('Wrong user name or password; nothing was signed');
    if (!(await verifyPassword(row.password_hash, password as string))) {
      await recordFailure(row, 'signature');
      throw new AuthenticationError('Wrong user name or password; nothing was signed');
    }
    if (row.must_change_password || passwordExpired(row)) throw new PasswordChangeRequiredError();
    if (row.failed_logins > 0) await userRepository.clearFailures(knex, row.id);
    const { roles, permissions } = await userRepository.permissionsOf(knex, row.id);
    return { user: row, roles, permissions };
  }

  /**
   * Logs a person in. Failed attempts slow further ones for the account and for the client
   * address, each on its own (A4); a refusal for that reason (429) is not tried, so it neither
   * counts towards the lockout nor tells whether the password was right.
   */
  async function login(input: {
    username: string;
    password: string;
    /** The client's address and user agent, recorded with the attempt (C4). */
    client?: string | null;
    /** The client's network address, whose failed attempts are throttled together. */
    address?: string | null;
  }): Promise<LoginResult> {
    const keys = throttleKeys(input.username.trim().toLowerCase(), input.address);
    const wait = await throttle.waitSeconds([keys.account, keys.address]);
    if (wait > 0) {
      throw new TooManyAttemptsError(
        `Too many failed logins for this account or from this address; try again in ${wait} s`,
        wait,
      );
    }
    try {
      const result = await attemptLogin(input);
      await throttle.cleared(keys.account);
      return result;
    } catch (error) {
      if (error instanceof AuthenticationError || error instanceof AccountLockedError) {
        await throttle.failed(keys);
      }
      throw error;
    }
  }

  async function attemptLogin(input: {
    username: string;
    password: string;
    client?: string | null;
  }): Promise<LoginResult> {
    const username = input.username.trim().toLowerCase();
    const row = await userRepository.findByUsername(knex, username);
    if (!row) {
      await verifyPassword(await dummyPasswordHash(settings), input.password);
      await tx((trx) =>
        appendSerialized(trx, clock, SECURITY_SUBJECT, SYSTEM_ACTOR, [
          {
            type: 'auth.login_failed',
            payload: { username, client: input.client ?? null, knownUser: false },
          },
        ]),
      );
      throw new AuthenticationError('Wrong user name or password');
    }
    const refuse = async (why: string) =>
      tx((trx) =>
        appendSerialized(trx, clock, userSubject(row.id), SYSTEM_ACTOR, [
          { type: 'auth.login_refused', payload: { username, why, client: input.client ?? null } },
        ]),
      );
    if (row.locked_at) {
      await refuse('locked');
      throw new AccountLockedError();
    }
    if (!row.active) {
      await refuse('deactivated');
      throw new AuthenticationError('Wrong user name or password');
    }
    if (!(await verifyPassword(row.password_hash, input.password))) {
      await recordFailure(row, 'login');
      throw new AuthenticationError('Wrong user name or password');
    }
    const sessionId = randomUUID();
    const mustChange = row.must_change_password || passwordExpired(row);
    await tx(async (trx) => {
      const now = clock.now();
      await userRepository.clearFailures(trx, row.id);
      await userRepository.insertSession(trx, {
        id: sessionId,
        user_id: row.id,
        created_at: now,
        last_seen_at: now,
        client: input.client ?? null,
      });
      await appendSerialized(
        trx,
        clock,
        userSubject(row.id),
        { userId: row.id, printedName: row.printed_name },
        [
          {
            type: 'auth.login',
            payload: { sessionId, client: input.client ?? null, mustChangePassword: mustChange },
          },
        ],
      );
    });
    return { sessionId, user: await loadUser(knex, row.id), mustChangePassword: mustChange };
  }

  /**
   * Turns a session id (from a verified token) into a principal, or refuses: an ended session, a
   * deactivated or locked user, or inactivity beyond the limit (A5) end it at once.
   */
  async function authenticate(
    sessionId: string,
    options: { allowPasswordChange?: boolean } = {},
  ): Promise<Principal> {
    const found = await userRepository.sessionWithUser(knex, sessionId);
    if (!found || found.session.ended_at)
      throw new AuthenticationError('The session has ended; log in again');
    const { session, user: row, roles, permissions } = found;
    const now = clock.now();
    const end = async (reason: string, message: string): Promise<never> => {
      await tx(async (trx) => {
        await userRepository.endSession(trx, sessionId, now, reason);
        await appendSerialized(trx, clock, userSubject(row.id), SYSTEM_ACTOR, [
          { type: 'auth.session_ended', payload: { sessionId, why: reason } },
        ]);
      });
      throw new AuthenticationError(message);
    };
    if (!row.active) await end('deactivated', 'The account has been deactivated');
    if (row.locked_at) await end('locked', 'The account is locked');
    const idleMs = now.getTime() - session.last_seen_at.getTime();
    if (idleMs > settings.inactivityMinutes * 60_000) {
      await end(
        'inactivity',
        `The session was locked after ${settings.inactivityMinutes} minutes without activity; log in again`,
      );
    }
    if (now.getTime() - session.created_at.getTime() > settings.sessionMaxHours * 3_600_000) {
      await end('expired', 'The session has expired; log in again');
    }
    const mustChangePassword = row.must_change_password || passwordExpired(row);
    if (mustChangePassword && !options.allowPasswordChange) throw new PasswordChangeRequiredError();
    // Activity is written at most every tenth of the inactivity limit (a minute at most), not on
    // every request: a write per read would cost more than the read. An idle session so ends up to
    // that much early, never late.
    if (idleMs > Math.min(60_000, (settings.inactivityMinutes * 60_000) / 10))
      await userRepository.touchSession(knex, sessionId, now);
    return {
      userId: row.id,
      username: row.username,
      printedName: row.printed_name,
      sessionId,
      roles,
      permissions,
      mustChangePassword,
    };
  }

  async function logout(principal: Principal): Promise<void> {
    await tx(async (trx) => {
      await userRepository.endSession(trx, principal.sessionId, clock.now(), 'logout');
      await appendSerialized(trx, clock, userSubject(principal.userId), eventActor(principal), [
        { type: 'auth.logout', payload: { sessionId: principal.sessionId } },
      ]);
    });
  }

  async function changePassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const row = await reauthenticate(principal, currentPassword);
    const errors = checkPassword(newPassword, settings.passwordPolicy, {
      username: row.username,
      printedName: row.printed_name,
    });
    if (errors.length > 0) throw new InputError('The new password does not meet the password policy', errors);
    const earlier = [
      row.password_hash,
      ...(await userRepository.recentPasswordHashes(knex, row.id, settings.passwordPolicy.historyCount)),
    ];
    for (const hash of earlier.slice(0, settings.passwordPolicy.historyCount)) {
      if (await verifyPassword(hash, newPassword)) {
        throw new InputError('The new password was used recently', [
          {
            pointer: '/newPassword',
            keyword: 'history',
            message: `must differ from the last ${settings.passwordPolicy.historyCount} passwords`,
          },
        ]);
      }
    }
    const hash = await hashPassword(newPassword, settings);
    await tx(async (trx) => {
      const now = clock.now();
      await userRepository.addPasswordHistory(trx, row.id, row.password_hash, now);
      if (
        !(await userRepository.update(trx, row.id, row.version, {
          password_hash: hash,
          password_changed_at: now,
          must_change_password: false,
        }))
      ) {
        throw new ConflictError('The account was changed at the same time; try again');
      }
      await appendSerialized(trx, clock, userSubject(row.id), eventActor(principal), [
        {
          type: 'user.password_changed',
          payload: {
            sessionId: principal.sessionId,
            passwordDigest: passwordDigest(hash),
            passwordChangedAt: now.toISOString(),
          },
        },
      ]);
    });
  }

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
        { userId: admin.id, username: admin.username, printedName: admin.printed_name },
        'Approved',
        signature.reason ?? null,
      );
    });
    return { user: await loadUser(knex, id), oneTimePassword };
  }

  const signerOf = (row: UserRow) => ({
    userId: row.id,
    username: row.username,
    printedName: row.printed_name,
  });

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

  const requireReason = (reason: unknown): string => requireText(reason, '/reason', 1000);

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
    await writeSignature(trx, clock, subject, signerOf(change.signer), 'Approved', change.reason);
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
    login,
    authenticate,
    logout,
    changePassword,
    reauthenticate,
    signerByCredentials,
    createUser,
    setUserRoles,
    setActive,
    setLanguage,
    resetPassword,
    unlockUser,
    breakGlassUnlock,
    listUsers,
    getUser,
    listRoles,
    defineRole,
    proposeRole,
    proposeUserRoles,
    listSecurityChanges,
    decideSecurityChange,
    bootstrapUser,
  };
}
