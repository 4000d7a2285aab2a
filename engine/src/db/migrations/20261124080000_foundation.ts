import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/** Tables whose rows are never deleted (C2, A1, B7); the audit trail is not even updated (C3). */
const NEVER_DELETED = ['users', 'records', 'signatures', 'password_history'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.comment('People who use Attest. Never deleted: deactivated (A1).');
    t.uuid('id').primary().comment('Immutable user id');
    t.text('username').notNullable().unique().comment('Login name; unique and never reassigned');
    t.text('printed_name').notNullable().comment('Name shown with every act and signature');
    t.text('email').nullable().comment('Contact address, optional');
    t.text('password_hash').notNullable().comment('argon2id hash of the current password');
    t.timestamp('password_changed_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('When the password was last set; drives password ageing');
    t.boolean('must_change_password')
      .notNullable()
      .comment('True after creation or an administrator reset: a one-time password (A6)');
    t.integer('failed_logins').notNullable().defaultTo(0).comment('Consecutive failed logins or signatures');
    t.timestamp('locked_at', { useTz: true, precision: 3 }).nullable().comment('Set when locked out (A4)');
    t.boolean('active').notNullable().defaultTo(true).comment('False once deactivated; never deleted');
    t.text('language').notNullable().defaultTo('en').comment('Preferred language of the user interface');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('Server time of creation');
    t.integer('version').notNullable().defaultTo(1).comment('Optimistic concurrency version');
  });

  await knex.schema.createTable('password_history', (t) => {
    t.comment('Earlier password hashes of a user, so recent passwords are not reused (A4)');
    t.bigIncrements('id', { primaryKey: true }).comment('Row id');
    t.uuid('user_id').notNullable().references('users.id').comment('Whose password it was');
    t.text('password_hash').notNullable().comment('argon2id hash of the earlier password');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('When it was set');
    t.index(['user_id', 'created_at']);
  });

  await knex.schema.createTable('roles', (t) => {
    t.comment('Named sets of permissions granted to users');
    t.text('name').primary().comment('Role key, e.g. operator, qa, qp, admin');
    t.uuid('id').notNullable().unique().comment('Id of the role in the audit trail');
    t.text('title').notNullable().comment('Human name of the role');
    t.text('description').notNullable().defaultTo('').comment('What the role is for');
    t.specificType('permissions', 'text[]').notNullable().comment('Permission keys the role grants');
    t.integer('version').notNullable().defaultTo(1).comment('Optimistic concurrency version');
  });

  await knex.schema.createTable('user_roles', (t) => {
    t.comment('Current role grants; their history is in the audit trail');
    t.uuid('user_id').notNullable().references('users.id').comment('Grantee');
    t.text('role').notNullable().references('roles.name').comment('Granted role');
    t.timestamp('granted_at', { useTz: true, precision: 3 }).notNullable().comment('When granted');
    t.uuid('granted_by').nullable().references('users.id').comment('Administrator who granted it');
    t.primary(['user_id', 'role']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.comment('Server-side login sessions; a token is only good while its session is open');
    t.uuid('id').primary().comment('Session id, carried in the token');
    t.uuid('user_id').notNullable().references('users.id').comment('Who logged in');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('Login time');
    t.timestamp('last_seen_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Last authenticated request; drives the inactivity lock (A5)');
    t.timestamp('ended_at', { useTz: true, precision: 3 }).nullable().comment('When the session ended');
    t.text('end_reason').nullable().comment('logout, inactivity, locked, deactivated, password-reset');
    t.text('client').nullable().comment('Client address and user agent at login');
    t.index(['user_id']);
  });

  await knex.schema.createTable('records', (t) => {
    t.comment('GMP records: what people talk about (batch records, deviations, ...)');
    t.uuid('id').primary().comment('Immutable record id');
    t.text('number').notNullable().unique().comment('Human record number, e.g. DEV-2026-0042');
    t.text('kind').notNullable().comment('What sort of record it is, e.g. deviation');
    t.text('title').notNullable().comment('Short human title');
    t.text('status').notNullable().comment('Lifecycle status, e.g. open, completed, voided');
    t.jsonb('content').notNullable().comment('The GMP content of the record (values entered)');
    t.integer('version').notNullable().comment('Optimistic concurrency version; +1 per change');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('Server time of creation');
    t.uuid('created_by').notNullable().references('users.id').comment('Author of the record');
    t.timestamp('updated_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Server time of last change');
  });

  await knex.schema.createTable('events', (t) => {
    t.comment('The audit trail: append only, one SHA-256 hash chain per record (C1-C3)');
    t.bigIncrements('id', { primaryKey: true }).comment('Global insertion order');
    t.uuid('record_id').notNullable().comment('The record, user, role or ledger the event belongs to');
    t.text('record_type').notNullable().comment('record, user, role, security or ledger');
    t.integer('seq').notNullable().comment('Sequence number within the record, from 1, without gaps');
    t.text('type').notNullable().comment('What happened, e.g. record.updated, auth.login_failed');
    t.uuid('actor_id').nullable().comment('User who caused it; null for the system or an unknown user');
    t.text('actor_name').notNullable().comment('Printed name of the actor at the time');
    t.timestamp('at', { useTz: true, precision: 3 }).notNullable().comment('Server time, UTC (E1)');
    t.jsonb('payload').notNullable().comment('Details: field paths with old and new values');
    t.text('reason').nullable().comment('Why, where a reason is required (B3)');
    t.specificType('prev_hash', 'char(64)').notNullable().comment('Hash of the previous event of the record');
    t.specificType('hash', 'char(64)')
      .notNullable()
      .comment('SHA-256 of the RFC 8785 canonical JSON of this event followed by prev_hash');
    t.unique(['record_id', 'seq']);
    t.index(['at']);
  });

  await knex.schema.createTable('signatures', (t) => {
    t.comment('Electronic signatures; never deleted, withdrawal is a new signed event (B7)');
    t.uuid('id').primary().comment('Signature id');
    t.uuid('record_id').notNullable().comment('What was signed: a record, user or role');
    t.text('record_type').notNullable().comment('record, user or role');
    t.integer('event_seq').notNullable().comment('Sequence of the signature event in the record chain');
    t.uuid('signer_id').notNullable().references('users.id').comment('Who signed');
    t.text('signer_username').notNullable().comment('User id shown in the manifestation');
    t.text('signer_name').notNullable().comment('Printed name shown in the manifestation');
    t.text('meaning').notNullable().comment('Performed, Verified, Reviewed, Approved, Released, Rejected');
    t.text('reason').nullable().comment('Reason, required for rejections and overrides');
    t.timestamp('signed_at', { useTz: true, precision: 3 }).notNullable().comment('Server time, UTC');
    t.specificType('content_hash', 'char(64)')
      .notNullable()
      .comment('SHA-256 of the canonical content signed');
    t.integer('record_version').notNullable().comment('Version of the record that was signed');
    t.timestamp('withdrawn_at', { useTz: true, precision: 3 }).nullable().comment('When withdrawn, if ever');
    t.uuid('withdrawn_by').nullable().references('users.id').comment('Who withdrew it');
    t.text('withdrawal_reason').nullable().comment('Why it was withdrawn');
    t.index(['record_id']);
  });

  await knex.raw(`
    CREATE FUNCTION attest_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% on % is not allowed: GMP data is never rewritten or removed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END
    $$`);
  await knex.raw(
    `CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  for (const table of ['events', ...NEVER_DELETED]) {
    if (table !== 'events') {
      await knex.raw(
        `CREATE TRIGGER ${table}_never_deleted BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
      );
    }
    await knex.raw(
      `CREATE TRIGGER ${table}_never_truncated BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
    );
  }

  // Roles are cluster-wide: another database on the same server may have created it already.
  await knex.raw(
    `DO $$ BEGIN CREATE ROLE ${ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await knex.raw(`GRANT SELECT, INSERT ON events, password_history TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON users, roles, sessions, records, signatures TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, DELETE ON user_roles TO ${ROLE}`);
  await knex.raw(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'signatures',
    'events',
    'records',
    'sessions',
    'user_roles',
    'roles',
    'password_history',
    'users',
  ]) {
    await knex.raw(`REVOKE ALL ON ${table} FROM ${ROLE}`);
    await knex.schema.dropTable(table);
  }
  await knex.raw(`DROP FUNCTION attest_refuse_change()`);
  await knex.raw(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${ROLE}`);
  // Other databases of the cluster may still grant to the role; then it stays.
  await knex.raw(
    `DO $$ BEGIN DROP ROLE IF EXISTS ${ROLE}; EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$`,
  );
}
