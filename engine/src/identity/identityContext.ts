import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { SYSTEM_ACTOR, type EventActor, type EventDraft, type Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { AccountLockedError, AuthenticationError, InputError, NotFoundError } from '../kernel/errors.ts';
import { requireText } from '../kernel/textInput.ts';
import { createLoginThrottle } from './loginThrottle.ts';
import { verifyPassword } from './passwords.ts';
import type { Principal } from './permissions.ts';
import { toUser, userRepository, type User, type UserRow } from './userRepository.ts';
import type { IdentityDeps } from './identityTypes.ts';

export const userSubject = (id: string): Subject => ({ id, type: 'user' });

/**
 * Appends to an account's (or the security log's) chain after taking a transaction lock on it:
 * two logins of one person at the same moment, or two guesses at once, are written one after the
 * other instead of colliding on the chain's next number (a conflict is not a failed login).
 */
export async function appendSerialized(
  trx: Knex.Transaction,
  clock: Clock,
  subject: Subject,
  actor: EventActor,
  drafts: EventDraft[],
): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [subject.id]);
  await appendEvents(trx, clock, subject, actor, drafts);
}

export const requireReason = (reason: unknown): string => requireText(reason, '/reason', 1000);

export type IdentityContext = ReturnType<typeof createIdentityContext>;

/**
 * What every part of identity shares: the database, the clock and settings, the login throttle,
 * and the checks of a person's password (a failed one counted towards their lockout).
 */
export function createIdentityContext({ knex, clock, settings }: IdentityDeps) {
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

  const signerOf = (row: UserRow) => ({
    userId: row.id,
    username: row.username,
    printedName: row.printed_name,
  });

  return {
    knex,
    clock,
    settings,
    tx,
    throttle,
    passwordExpired,
    loadUser,
    recordFailure,
    reauthenticate,
    signerOf,
  };
}
