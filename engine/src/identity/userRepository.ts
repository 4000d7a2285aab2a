import type { Knex } from 'knex';
import { preparedQuery } from '../db/database.ts';
import { isPermission, type Permission, type RoleDefinition } from './permissions.ts';

type Db = Knex | Knex.Transaction;

export interface UserRow {
  id: string;
  username: string;
  printed_name: string;
  email: string | null;
  password_hash: string;
  password_changed_at: Date;
  must_change_password: boolean;
  failed_logins: number;
  locked_at: Date | null;
  active: boolean;
  language: string;
  created_at: Date;
  version: number;
}

/** A user as the rest of Attest sees it: no password hash. */
export interface User {
  id: string;
  username: string;
  printedName: string;
  email: string | null;
  active: boolean;
  locked: boolean;
  mustChangePassword: boolean;
  passwordChangedAt: string;
  language: string;
  createdAt: string;
  roles: string[];
  version: number;
}

export function toUser(row: UserRow, roles: string[]): User {
  return {
    id: row.id,
    username: row.username,
    printedName: row.printed_name,
    email: row.email,
    active: row.active,
    locked: row.locked_at !== null,
    mustChangePassword: row.must_change_password,
    passwordChangedAt: row.password_changed_at.toISOString(),
    language: row.language,
    createdAt: row.created_at.toISOString(),
    roles,
    version: row.version,
  };
}

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export const userRepository = {
  findByUsername: (db: Db, username: string) =>
    db<UserRow>('users').where({ username }).first() as Promise<UserRow | undefined>,

  findById: (db: Db, id: string) =>
    db<UserRow>('users').where({ id }).first() as Promise<UserRow | undefined>,

  async list(db: Db): Promise<UserRow[]> {
    return db<UserRow>('users').orderBy('username');
  },

  async insert(db: Db, row: UserRow): Promise<void> {
    await db('users').insert(row);
  },

  /** Updates a user and bumps its version; false when someone else changed it first. */
  async update(db: Db, id: string, version: number, patch: Partial<UserRow>): Promise<boolean> {
    const n = await db('users')
      .where({ id, version })
      .update({ ...patch, version: version + 1 });
    return n === 1;
  },

  async countFailure(db: Db, id: string): Promise<number> {
    const [row] = await db('users').where({ id }).increment('failed_logins', 1).returning('failed_logins');
    return (row as { failed_logins: number }).failed_logins;
  },

  async lock(db: Db, id: string, at: Date): Promise<void> {
    await db('users').where({ id }).update({ locked_at: at });
  },

  async clearFailures(db: Db, id: string): Promise<void> {
    await db('users').where({ id }).where('failed_logins', '>', 0).update({ failed_logins: 0 });
  },

  async findRoleById(
    db: Db,
    id: string,
  ): Promise<(RoleDefinition & { id: string; version: number }) | undefined> {
    return db('roles').where({ id }).first('id', 'name', 'title', 'description', 'permissions', 'version');
  },

  async rolesOf(db: Db, userId: string): Promise<string[]> {
    const rows = await db('user_roles').where({ user_id: userId }).orderBy('role').select('role');
    return rows.map((r: { role: string }) => r.role);
  },

  async rolesByUser(db: Db): Promise<Map<string, string[]>> {
    const rows: { user_id: string; role: string }[] = await db('user_roles')
      .orderBy('role')
      .select('user_id', 'role');
    const map = new Map<string, string[]>();
    for (const r of rows) map.set(r.user_id, [...(map.get(r.user_id) ?? []), r.role]);
    return map;
  },

  async setRoles(db: Db, userId: string, roles: string[], grantedBy: string | null, at: Date): Promise<void> {
    await db('user_roles').where({ user_id: userId }).whereNotIn('role', roles).delete();
    if (roles.length > 0) {
      await db('user_roles')
        .insert(roles.map((role) => ({ user_id: userId, role, granted_at: at, granted_by: grantedBy })))
        .onConflict(['user_id', 'role'])
        .ignore();
    }
  },

  async permissionsOf(db: Db, userId: string): Promise<{ roles: string[]; permissions: Set<Permission> }> {
    const rows: { name: string; permissions: string[] }[] = await db('roles')
      .join('user_roles', 'user_roles.role', 'roles.name')
      .where('user_roles.user_id', userId)
      .orderBy('roles.name')
      .select('roles.name', 'roles.permissions');
    return {
      roles: rows.map((r) => r.name),
      permissions: new Set(rows.flatMap((r) => r.permissions).filter(isPermission)),
    };
  },

  /** The permissions a set of roles grants together. */
  async permissionsOfRoles(db: Db, roles: string[]): Promise<string[]> {
    const rows: { permissions: string[] }[] = await db('roles').whereIn('name', roles).select('permissions');
    return [...new Set(rows.flatMap((r) => r.permissions))];
  },

  /** Each holder of a role with the permissions of their other roles. */
  async otherPermissionsOfHolders(
    db: Db,
    role: string,
  ): Promise<{ username: string; permissions: string[] }[]> {
    const rows: { username: string; permissions: string[] | null }[] = await db('users')
      .join('user_roles as held', 'held.user_id', 'users.id')
      .leftJoin('user_roles as other', function () {
        this.on('other.user_id', '=', 'users.id').andOn('other.role', '<>', 'held.role');
      })
      .leftJoin('roles', 'roles.name', 'other.role')
      .where('held.role', role)
      .select('users.username', 'roles.permissions');
    const byUser = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = byUser.get(r.username) ?? new Set<string>();
      for (const p of r.permissions ?? []) set.add(p);
      byUser.set(r.username, set);
    }
    return [...byUser].map(([username, permissions]) => ({ username, permissions: [...permissions] }));
  },

  async recentPasswordHashes(db: Db, userId: string, count: number): Promise<string[]> {
    const rows = await db('password_history')
      .where({ user_id: userId })
      .orderBy('created_at', 'desc')
      .limit(count)
      .select('password_hash');
    return rows.map((r: { password_hash: string }) => r.password_hash);
  },

  async addPasswordHistory(db: Db, userId: string, passwordHash: string, at: Date): Promise<void> {
    await db('password_history').insert({ user_id: userId, password_hash: passwordHash, created_at: at });
  },

  async listRoles(db: Db): Promise<(RoleDefinition & { id: string; version: number })[]> {
    return db('roles').orderBy('name').select('id', 'name', 'title', 'description', 'permissions', 'version');
  },

  async findRole(
    db: Db,
    name: string,
  ): Promise<(RoleDefinition & { id: string; version: number }) | undefined> {
    return db('roles').where({ name }).first('id', 'name', 'title', 'description', 'permissions', 'version');
  },

  async existingRoles(db: Db, names: string[]): Promise<string[]> {
    const rows = await db('roles').whereIn('name', names).select('name');
    return rows.map((r: { name: string }) => r.name);
  },

  async insertRole(db: Db, id: string, role: RoleDefinition): Promise<void> {
    await db('roles').insert({ id, ...role, version: 1 });
  },

  async updateRole(db: Db, role: RoleDefinition, version: number): Promise<boolean> {
    const n = await db('roles')
      .where({ name: role.name, version })
      .update({
        title: role.title,
        description: role.description,
        permissions: role.permissions,
        version: version + 1,
      });
    return n === 1;
  },

  async insertSession(db: Db, row: Omit<SessionRow, 'ended_at' | 'end_reason'> & { client: string | null }) {
    await db('sessions').insert(row);
  },

  /**
   * A session with its user and the user's roles and permissions, in one round trip: read on every
   * authenticated request. None when the session or its user does not exist.
   */
  async sessionWithUser(
    db: Db,
    id: string,
  ): Promise<
    { session: SessionRow; user: UserRow; roles: string[]; permissions: Set<Permission> } | undefined
  > {
    const [row] = await preparedQuery<
      UserRow & {
        s_user_id: string;
        s_created_at: Date;
        s_last_seen_at: Date;
        s_ended_at: Date | null;
        s_end_reason: string | null;
        role_names: string[];
        role_permissions: string[];
      }
    >(
      db,
      'attest_session_with_user',
      `SELECT u.*, s.user_id AS s_user_id, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
              s.ended_at AS s_ended_at, s.end_reason AS s_end_reason,
              ARRAY(SELECT r.name FROM user_roles ur JOIN roles r ON r.name = ur.role
                     WHERE ur.user_id = u.id ORDER BY r.name) AS role_names,
              ARRAY(SELECT p FROM user_roles ur JOIN roles r ON r.name = ur.role, unnest(r.permissions) p
                     WHERE ur.user_id = u.id) AS role_permissions
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1`,
      [id],
    );
    if (!row) return undefined;
    const {
      s_user_id,
      s_created_at,
      s_last_seen_at,
      s_ended_at,
      s_end_reason,
      role_names,
      role_permissions,
      ...user
    } = row;
    return {
      session: {
        id,
        user_id: s_user_id,
        created_at: s_created_at,
        last_seen_at: s_last_seen_at,
        ended_at: s_ended_at,
        end_reason: s_end_reason,
      },
      user,
      roles: role_names,
      permissions: new Set(role_permissions.filter(isPermission)),
    };
  },

  async touchSession(db: Db, id: string, at: Date): Promise<void> {
    await db('sessions').where({ id }).whereNull('ended_at').update({ last_seen_at: at });
  },

  async endSession(db: Db, id: string, at: Date, reason: string): Promise<void> {
    await db('sessions').where({ id }).whereNull('ended_at').update({ ended_at: at, end_reason: reason });
  },

  async endSessionsOf(db: Db, userId: string, at: Date, reason: string): Promise<number> {
    return db('sessions')
      .where({ user_id: userId })
      .whereNull('ended_at')
      .update({ ended_at: at, end_reason: reason });
  },
};
