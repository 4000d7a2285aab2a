import type { Knex } from 'knex';

/**
 * Run-time changes to a running record (D7): a step skipped, repeated or added is an e-signed,
 * reasoned act recorded as an exception of type `run_time_change`. A skipped task keeps its row
 * with status `skipped`; a repeated or added step is a task of its own that no token waits on
 * (`origin` repeat or added, `token_id` null), whose form version is pinned on the row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE tasks ALTER COLUMN token_id DROP NOT NULL`);
  await knex.schema.alterTable('tasks', (t) => {
    t.text('origin')
      .notNullable()
      .defaultTo('flow')
      .comment('flow: a token of the model waits on it; repeat or added: a run-time change made it (D7)');
    t.uuid('form_id')
      .nullable()
      .references('forms.id')
      .comment('For a repeated or added step: the pinned form version it is filled in with');
  });
  await knex.raw(`
    ALTER TABLE tasks ADD CONSTRAINT tasks_origin
      CHECK (origin IN ('flow', 'repeat', 'added')
        AND (origin = 'flow') = (token_id IS NOT NULL)
        AND (origin = 'flow' OR form_id IS NOT NULL))`);
  await knex.raw(`
    ALTER TABLE tasks ADD CONSTRAINT tasks_status
      CHECK (status IN ('open', 'completed', 'cancelled', 'skipped'))`);
  await knex.raw(
    `COMMENT ON COLUMN tasks.status IS 'open, completed, cancelled (by the process) or skipped (a run-time change, D7)'`,
  );
  await knex.raw(
    `COMMENT ON COLUMN tasks.token_id IS 'Token waiting on the task; null for a repeated or added step'`,
  );
  await knex.raw(
    `COMMENT ON COLUMN exceptions.type IS 'limit_breach, na, manual_entry, signature_withdrawn or run_time_change'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE tasks DROP CONSTRAINT tasks_status`);
  await knex.raw(`ALTER TABLE tasks DROP CONSTRAINT tasks_origin`);
  await knex.schema.alterTable('tasks', (t) => {
    t.dropColumn('form_id');
    t.dropColumn('origin');
  });
  await knex.raw(`ALTER TABLE tasks ALTER COLUMN token_id SET NOT NULL`);
  await knex.raw(`COMMENT ON COLUMN exceptions.type IS 'limit_breach, na or manual_entry'`);
}
