import type { Knex } from 'knex';

/**
 * Jobs whose handler runs outside any transaction (service tasks): a worker takes one with a lease
 * it commits at once, and its result lands only while that lease is still its own. Every commit
 * that leaves a job to be taken tells the job workers on the channel `attest_jobs` (NOTIFY is sent
 * when the transaction commits, never before, and not at all when it rolls back).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('jobs', (t) => {
    t.uuid('lease_owner')
      .nullable()
      .comment('The take that holds the job while its handler runs; null when nobody holds it');
    t.timestamp('lease_until', { useTz: true, precision: 3 })
      .nullable()
      .comment('When the lease ends: after it the job is taken again, and the holder’s result refused');
  });
  await knex.raw(`
    CREATE FUNCTION attest_jobs_due() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('attest_jobs', '');
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER jobs_due AFTER INSERT OR UPDATE ON jobs FOR EACH ROW
      WHEN (NEW.status = 'scheduled' AND NEW.lease_owner IS NULL) EXECUTE FUNCTION attest_jobs_due()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TRIGGER jobs_due ON jobs`);
  await knex.raw(`DROP FUNCTION attest_jobs_due()`);
  await knex.schema.alterTable('jobs', (t) => {
    t.dropColumn('lease_until');
    t.dropColumn('lease_owner');
  });
}
