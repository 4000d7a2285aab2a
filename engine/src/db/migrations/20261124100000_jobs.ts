import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('jobs', (t) => {
    t.comment('Timers and other work for the job workers; rows, so they survive restarts');
    t.uuid('id').primary().comment('Job id');
    t.uuid('instance_id')
      .notNullable()
      .references('process_instances.id')
      .comment('Instance the job moves on');
    t.text('token_id').notNullable().comment('Token waiting for the job');
    t.text('element_id').notNullable().comment('Element the token waits at, e.g. a timer event');
    t.text('kind').notNullable().comment('What the job does: timer');
    t.timestamp('due_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('When it is due, or retried after a failure');
    t.text('status').notNullable().comment('scheduled, done, cancelled or failed');
    t.integer('attempts').notNullable().defaultTo(0).comment('Failed attempts so far');
    t.text('last_error').nullable().comment('What the last failed attempt said');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('When it was scheduled');
    t.timestamp('done_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When it ran, was cancelled or gave up');
    t.index(['instance_id']);
  });
  await knex.raw(`CREATE INDEX jobs_due ON jobs (due_at) WHERE status = 'scheduled'`);
  await knex.raw(
    `CREATE TRIGGER jobs_never_deleted BEFORE DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON jobs TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON jobs FROM ${ROLE}`);
  await knex.schema.dropTable('jobs');
}
