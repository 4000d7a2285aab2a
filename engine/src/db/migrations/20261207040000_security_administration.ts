import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Login throttling shared by every runtime process on the database (A4), and changes to access
 * that wait for a second administrator (dual control, A3).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('login_throttle', (t) => {
    t.comment(
      'Failed logins per account and per client address, with the back-off they earned; shared by every runtime process',
    );
    t.text('key').primary().comment('What is counted: "account:<user name>" or "address:<client address>"');
    t.integer('failures')
      .notNullable()
      .comment('Failed logins in the current window (or in a row, for an account)');
    t.timestamp('window_started_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Server time of the first failure counted');
    t.timestamp('last_failure_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Server time of the latest failure');
    t.timestamp('blocked_until', { useTz: true, precision: 3 })
      .nullable()
      .comment('No login is tried for this key before then (429 with Retry-After); null when not held back');
  });

  await knex.schema.createTable('security_change_requests', (t) => {
    t.comment(
      'Changes to roles and GMP grants proposed by one administrator, effective once another approves',
    );
    t.uuid('id').primary().comment('Request id');
    t.text('kind')
      .notNullable()
      .comment('"role" (define or change a role) or "user-roles" (grant or revoke roles)');
    t.text('target').notNullable().comment('The role name, or the id of the user whose roles change');
    t.jsonb('proposal')
      .notNullable()
      .comment('What takes effect on approval: the role definition or the role names');
    t.integer('base_version')
      .nullable()
      .comment(
        'Version of the role or user when proposed; approval is refused once it has changed; null for a new role',
      );
    t.text('status').notNullable().comment('pending, approved or rejected');
    t.uuid('proposed_by').notNullable().references('users.id').comment('Administrator who proposed it');
    t.timestamp('proposed_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Server time of the proposal');
    t.text('proposal_reason').nullable().comment('Why, as the proposer signed it');
    t.uuid('decided_by')
      .nullable()
      .references('users.id')
      .comment('Second administrator who approved or rejected');
    t.timestamp('decided_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('Server time of the decision');
    t.text('decision_reason').nullable().comment('Why, as the deciding administrator signed it');
    t.integer('version').notNullable().defaultTo(1).comment('Optimistic concurrency version');
    t.index(['status', 'proposed_at']);
  });

  await knex.raw(`GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON security_change_requests TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['security_change_requests', 'login_throttle']) {
    await knex.raw(`REVOKE ALL ON ${table} FROM ${ROLE}`);
    await knex.schema.dropTable(table);
  }
}
