import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Scopes and links between instances (sub-processes, multi-instance, call activities), work for
 * job workers beyond timers, and the message and signal subscriptions of waiting tokens.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('process_instances', (t) => {
    t.jsonb('scopes')
      .notNullable()
      .defaultTo('[]')
      .comment('Open scopes inside the instance (sub-processes, multi-instance, local variables)');
    t.uuid('parent_instance_id')
      .nullable()
      .references('process_instances.id')
      .comment('The calling instance, for an instance started by a call activity');
    t.text('parent_token_id').nullable().comment('The token of the call activity waiting in the caller');
    t.text('parent_element_id').nullable().comment('The call activity in the caller');
    t.index(['parent_instance_id']);
  });

  await knex.raw(`ALTER TABLE process_instances ALTER COLUMN started_by DROP NOT NULL`);
  await knex.raw(
    `COMMENT ON COLUMN process_instances.started_by IS 'Who started it; null when the engine did (a timer, a call activity, a thrown event)'`,
  );

  await knex.schema.alterTable('jobs', (t) => {
    t.jsonb('payload').nullable().comment('What the job needs: handler type, called process, thrown event');
    t.uuid('definition_id')
      .nullable()
      .references('process_definitions.id')
      .comment('Definition whose timer start event the job starts an instance of');
  });
  await knex.raw(`ALTER TABLE jobs ALTER COLUMN instance_id DROP NOT NULL`);
  await knex.raw(
    `COMMENT ON COLUMN jobs.kind IS 'What the job does: timer, service (a handler), call (start a called process), resume (a called process ended), throw (a message or signal), cancel (a called process), start (a timer start event)'`,
  );
  await knex.raw(
    `COMMENT ON COLUMN jobs.instance_id IS 'Instance the job moves on; none for a timer start event'`,
  );

  await knex.schema.createTable('subscriptions', (t) => {
    t.comment('Tokens waiting for a message or a signal, found by name when one comes');
    t.uuid('instance_id').notNullable().references('process_instances.id').comment('Instance that waits');
    t.text('token_id').notNullable().comment('Token that waits');
    t.text('element_id').notNullable().comment('Catch event, receive task or boundary event it waits at');
    t.text('kind').notNullable().comment('message or signal');
    t.text('name').notNullable().comment('Message or signal name');
    t.text('correlation_key').nullable().comment('Message correlation key the token waits for; null: any');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('When it started waiting');
    t.timestamp('closed_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When it stopped waiting (triggered or cancelled)');
    t.primary(['instance_id', 'token_id']);
  });
  await knex.raw(
    `CREATE INDEX subscriptions_open ON subscriptions (kind, name, correlation_key) WHERE closed_at IS NULL`,
  );
  await knex.raw(
    `CREATE TRIGGER subscriptions_never_deleted BEFORE DELETE ON subscriptions FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON subscriptions TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON subscriptions FROM ${ROLE}`);
  await knex.schema.dropTable('subscriptions');
  await knex.schema.alterTable('jobs', (t) => {
    t.dropColumn('payload');
    t.dropColumn('definition_id');
  });
  await knex.schema.alterTable('process_instances', (t) => {
    t.dropColumn('scopes');
    t.dropColumn('parent_instance_id');
    t.dropColumn('parent_token_id');
    t.dropColumn('parent_element_id');
  });
}
