import { randomUUID } from 'node:crypto';
import { passwordDigest } from '../audit/stateDigest.ts';
import { SECURITY_SUBJECT, SYSTEM_ACTOR } from '../audit/types.ts';
import {
  AccountLockedError,
  AuthenticationError,
  ConflictError,
  InputError,
  PasswordChangeRequiredError,
  TooManyAttemptsError,
} from '../kernel/errors.ts';
import { throttleKeys } from './loginThrottle.ts';
import { checkPassword } from './passwordPolicy.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';
import { eventActor, type Permission, type Principal } from './permissions.ts';
import { userRepository, type UserRow } from './userRepository.ts';
import { type IdentityContext, appendSerialized, userSubject } from './identityContext.ts';
import type { LoginResult } from './identityTypes.ts';

/** Signing in and out, sessions, one's own password, and a second person's signature by credentials. */
export function createSessions(ctx: IdentityContext) {
  const { knex, clock, settings, tx, throttle, passwordExpired, loadUser, recordFailure, reauthenticate } =
    ctx;

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

  return { signerByCredentials, login, authenticate, logout, changePassword };
}
