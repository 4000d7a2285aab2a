import type { Knex } from 'knex';
import { passwordDigest } from '../../audit/stateDigest.ts';
import type { AuditEvent } from '../../audit/types.ts';
import { chainsOf, changesOf, firstDifference, iso, type Findings } from './findings.ts';

/** A user account as its events tell it; `undefined`: the events do not say (written before they did). */
interface ReplayedUser {
  username?: string;
  printed_name?: string;
  email?: string | null;
  active: boolean;
  language?: string;
  locked: boolean;
  must_change_password?: boolean;
  passwordDigest?: string;
  password_changed_at?: string;
  roles: string[];
}

const USER_PATHS: Record<string, keyof ReplayedUser> = {
  '/username': 'username',
  '/printedName': 'printed_name',
  '/email': 'email',
  '/active': 'active',
  '/language': 'language',
  '/locked': 'locked',
  '/roles': 'roles',
};

function replayUser(events: AuditEvent[]): ReplayedUser | null {
  if (events[0]?.type !== 'user.created') return null;
  const user: ReplayedUser = { active: true, locked: false, roles: [], language: 'en' };
  const password = (p: Record<string, unknown>) => {
    user.passwordDigest = p.passwordDigest as string | undefined;
    user.password_changed_at = p.passwordChangedAt as string | undefined;
  };
  for (const e of events) {
    const p = e.payload;
    if (e.type === 'user.created') {
      user.language = typeof p.language === 'string' ? p.language : undefined;
      user.must_change_password =
        typeof p.mustChangePassword === 'boolean' ? p.mustChangePassword : undefined;
      password(p);
    } else if (e.type === 'user.password_changed') {
      user.must_change_password = false;
      password(p);
    } else if (e.type === 'user.password_reset') {
      user.must_change_password = true;
      password(p);
    } else if (e.type === 'auth.locked') {
      user.locked = true;
    } else if (e.type.endsWith('.unlocked')) {
      user.locked = false;
    }
    for (const c of changesOf(e)) {
      const key = USER_PATHS[c.path];
      if (key) (user as unknown as Record<string, unknown>)[key] = c.new;
    }
  }
  return user;
}

/**
 * Users and their role grants against the user's chain: names, active, language, lock, the
 * one-time-password flag and the password hash (through its digest), and the roles granted.
 */
export async function checkUsers(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['user'], null, 'users');
  const grants = new Map<string, string[]>();
  for (const g of await knex('user_roles').select('user_id', 'role').orderBy(['user_id', 'role'])) {
    grants.set(g.user_id, [...(grants.get(g.user_id) ?? []), g.role]);
  }
  for (const row of await knex('users').select('*').orderBy('id')) {
    const user = replayUser(chains.get(row.id) ?? []);
    if (!user) {
      findings.differs('users', row.id, `${row.username} has no user.created event`);
      continue;
    }
    const column = firstDifference([
      ['username', row.username, user.username],
      ['printed_name', row.printed_name, user.printed_name],
      ['email', row.email, user.email],
      ['active', row.active, user.active],
      ['language', row.language, user.language],
      ['locked_at', row.locked_at !== null, user.locked],
      ['must_change_password', row.must_change_password, user.must_change_password],
      ['password_hash', passwordDigest(row.password_hash), user.passwordDigest],
      ['password_changed_at', iso(row.password_changed_at), user.password_changed_at],
    ]);
    if (column) {
      findings.differs('users', row.id, `${row.username}: ${column} differs from its audit trail`);
    } else if (user.passwordDigest === undefined) {
      findings.unattested(
        'users',
        row.id,
        `${row.username}: the password hash predates its digest in the trail`,
      );
    }
    const held = grants.get(row.id) ?? [];
    const granted = [...new Set(user.roles)].sort();
    const extra = held.filter((r) => !granted.includes(r));
    const missing = granted.filter((r) => !held.includes(r));
    if (extra.length > 0 || missing.length > 0) {
      findings.differs(
        'user_roles',
        row.id,
        `${row.username}: ${[
          ...(extra.length > 0 ? [`holds ${extra.join(', ')} that its audit trail never granted`] : []),
          ...(missing.length > 0 ? [`lacks ${missing.join(', ')} that its audit trail granted`] : []),
        ].join('; ')}`,
      );
    }
  }
}

/** Roles against their chain: the name, title, description and the permissions they grant. */
export async function checkRoles(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['role'], null, 'roles');
  for (const row of await knex('roles').select('*').orderBy('name')) {
    const events = chains.get(row.id) ?? [];
    if (events[0]?.type !== 'role.created') {
      findings.differs('roles', row.name, `${row.name} has no role.created event`);
      continue;
    }
    const role: Record<string, unknown> = { name: events[0].payload.name };
    for (const e of events) {
      if (e.type === 'role.changed' && e.payload.name !== undefined) role.name = e.payload.name;
      for (const c of changesOf(e)) role[c.path.slice(1)] = c.new;
    }
    const sorted = (v: unknown) => (Array.isArray(v) ? [...(v as string[])].sort() : v);
    const column = firstDifference([
      ['name', row.name, role.name],
      ['title', row.title, role.title],
      ['description', row.description, role.description],
      ['permissions', sorted(row.permissions), sorted(role.permissions)],
    ]);
    if (column) findings.differs('roles', row.name, `${row.name}: ${column} differs from its audit trail`);
    else if (role.title === undefined) {
      findings.unattested(
        'roles',
        row.name,
        `${row.name}: its title and description predate the trail stating them`,
      );
    }
  }
}
