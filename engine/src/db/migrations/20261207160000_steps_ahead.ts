import type { Knex } from 'knex';

/**
 * Steps done ahead of the flow (F1): where a template allows it (`attest:outOfOrder`), a later step
 * is done before the process reaches it, as an e-signed, reasoned exception `out_of_order`. The
 * step is a task of its own that no token waits on (`origin` early, its form version pinned); when
 * the process reaches the element, the task the flow makes there is completed with the values done
 * ahead, and names that task in `done_ahead`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE tasks DROP CONSTRAINT tasks_origin`);
  await knex.raw(`
    ALTER TABLE tasks ADD CONSTRAINT tasks_origin
      CHECK (origin IN ('flow', 'repeat', 'added', 'early')
        AND (origin = 'flow') = (token_id IS NOT NULL)
        AND (origin = 'flow' OR form_id IS NOT NULL))`);
  await knex.schema.alterTable('tasks', (t) => {
    t.uuid('done_ahead')
      .nullable()
      .unique()
      .references('tasks.id')
      .comment(
        'For a task of the flow: the step done ahead of the flow (origin early) whose values completed it',
      );
  });
  await knex.raw(`
    ALTER TABLE tasks ADD CONSTRAINT tasks_done_ahead CHECK (done_ahead IS NULL OR origin = 'flow')`);
  await knex.raw(
    `COMMENT ON COLUMN tasks.origin IS 'flow: a token of the model waits on it; repeat or added: a run-time change made it (D7); early: done ahead of the flow (F1)'`,
  );
  await knex.raw(
    `COMMENT ON COLUMN exceptions.type IS 'limit_breach, na, manual_entry, signature_withdrawn, run_time_change, out_of_order or late_step'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE tasks DROP CONSTRAINT tasks_done_ahead`);
  await knex.schema.alterTable('tasks', (t) => t.dropColumn('done_ahead'));
  await knex.raw(`ALTER TABLE tasks DROP CONSTRAINT tasks_origin`);
  await knex.raw(`
    ALTER TABLE tasks ADD CONSTRAINT tasks_origin
      CHECK (origin IN ('flow', 'repeat', 'added')
        AND (origin = 'flow') = (token_id IS NOT NULL)
        AND (origin = 'flow' OR form_id IS NOT NULL))`);
  await knex.raw(
    `COMMENT ON COLUMN exceptions.type IS 'limit_breach, na, manual_entry, signature_withdrawn or run_time_change'`,
  );
}
