import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Reopenings of closed records (D4): each a privileged, reasoned, e-signed act kept for good. A
 * record is reopened from its reopening until a later Approved signature on it closes it again;
 * the rows are never changed or removed, whoever asks.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('record_reopenings', (t) => {
    t.comment('Reopenings of closed records, each an e-signed act with a reason (D4)');
    t.uuid('id').primary().comment('Reopening id');
    t.uuid('record_id').notNullable().references('records.id').comment('The record reopened');
    t.text('reason').notNullable().comment('Why the record was reopened');
    t.text('previous_status').notNullable().comment('The status the record had when reopened (closed)');
    t.uuid('signature_id')
      .notNullable()
      .unique()
      .references('signatures.id')
      .comment('The signature (meaning Reopened) of the act');
    t.timestamp('at', { useTz: true, precision: 3 }).notNullable().comment('Server time of the reopening');
    t.uuid('by').notNullable().references('users.id').comment('Who reopened it');
    t.index(['record_id', 'at']);
  });
  await knex.raw(
    `CREATE TRIGGER record_reopenings_never_changed BEFORE UPDATE OR DELETE ON record_reopenings FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(
    `CREATE TRIGGER record_reopenings_never_truncated BEFORE TRUNCATE ON record_reopenings FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(`GRANT SELECT, INSERT ON record_reopenings TO ${ROLE}`);
  await knex.raw(
    `COMMENT ON COLUMN signatures.meaning IS 'Performed, Verified, Reviewed, Approved, Released, Rejected, or Reopened (the signature of a reopening)'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    `COMMENT ON COLUMN signatures.meaning IS 'Performed, Verified, Reviewed, Approved, Released, Rejected'`,
  );
  await knex.raw(`REVOKE ALL ON record_reopenings FROM ${ROLE}`);
  await knex.schema.dropTable('record_reopenings');
}
