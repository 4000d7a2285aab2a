import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * What a runtime's readiness and metrics read: the list of applied migrations (a runtime is not
 * ready while its code and the schema disagree) and the jobs that gave up, counted on every scrape.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`GRANT SELECT ON knex_migrations TO ${ROLE}`);
  await knex.raw(`CREATE INDEX jobs_failed ON jobs (done_at) WHERE status = 'failed'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX jobs_failed`);
  await knex.raw(`REVOKE SELECT ON knex_migrations FROM ${ROLE}`);
}
