import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import type { LoginThrottleSettings } from '../kernel/settings.ts';

interface ThrottleRow {
  key: string;
  failures: number;
  window_started_at: Date;
  last_failure_at: Date;
  blocked_until: Date | null;
}

/** The keys one login attempt is counted under: the account tried, and the address it came from. */
export function throttleKeys(username: string, address: string | null | undefined) {
  return { account: `account:${username}`, address: address ? `address:${address}` : null };
}

/**
 * Failed logins slow down the account and the address they aim at, each on its own: the wait
 * doubles with every failure past a free allowance, so guessing at one account (an administrator's,
 * say) is held back long before the lockout (A4), and a busy shared terminal where everyone types
 * the right password is never held back at all. Kept in the database, so every runtime process
 * behind a load balancer counts the same attempts.
 */
export function createLoginThrottle(knex: Knex, clock: Clock, settings: LoginThrottleSettings) {
  const windowMs = settings.windowMinutes * 60_000;

  /** Seconds until a login may be tried under these keys; 0 when it may be tried now. */
  async function waitSeconds(keys: (string | null)[]): Promise<number> {
    const now = clock.now();
    const rows: Pick<ThrottleRow, 'blocked_until'>[] = await knex('login_throttle')
      .whereIn(
        'key',
        keys.filter((k): k is string => k !== null),
      )
      .where('blocked_until', '>', now)
      .select('blocked_until');
    const until = Math.max(0, ...rows.map((r) => (r.blocked_until as Date).getTime()));
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  }

  const backoffMs = (failures: number, free: number) =>
    failures < free
      ? 0
      : Math.min(settings.backoffSeconds * 2 ** (failures - free), settings.maxBackoffSeconds) * 1000;

  async function count(trx: Knex.Transaction, key: string, free: number, now: Date): Promise<void> {
    const windowStart = new Date(now.getTime() - windowMs);
    const { rows } = await trx.raw<{ rows: { failures: number }[] }>(
      `INSERT INTO login_throttle AS t (key, failures, window_started_at, last_failure_at)
       VALUES (?, 1, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.last_failure_at < ? THEN 1 ELSE t.failures + 1 END,
         window_started_at = CASE WHEN t.last_failure_at < ? THEN EXCLUDED.window_started_at ELSE t.window_started_at END,
         last_failure_at = EXCLUDED.last_failure_at
       RETURNING failures`,
      [key, now, now, windowStart, windowStart],
    );
    const wait = backoffMs((rows[0] as { failures: number }).failures, free);
    await trx('login_throttle')
      .where({ key })
      .update({ blocked_until: wait > 0 ? new Date(now.getTime() + wait) : null });
  }

  /** Counts a failed login against the account and the address. */
  async function failed(keys: { account: string; address: string | null }): Promise<void> {
    const now = clock.now();
    await knex.transaction(async (trx) => {
      await count(trx, keys.account, settings.accountFreeFailures, now);
      if (keys.address) await count(trx, keys.address, settings.addressFreeFailures, now);
      // Counters nobody has added to for a window are history: the audit trail keeps the failures.
      await trx('login_throttle')
        .where('last_failure_at', '<', new Date(now.getTime() - windowMs))
        .where((q) => {
          q.whereNull('blocked_until').orWhere('blocked_until', '<', now);
        })
        .delete();
    });
  }

  /** A successful login, an unlock or a reset: the account starts afresh (its address does not). */
  async function cleared(account: string, db: Knex | Knex.Transaction = knex): Promise<void> {
    await db('login_throttle').where({ key: account }).delete();
  }

  return { waitSeconds, failed, cleared };
}
