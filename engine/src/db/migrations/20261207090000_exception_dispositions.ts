import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Exceptions get their disposition (F4, F5): QA assesses an exception, then accepts it with a
 * justification or raises a deviation for it, each an e-signed act kept in `exception_dispositions`.
 * An exception's facts never change after it is raised; only its status moves, one way:
 * open → assessed → accepted | deviation. The database refuses anything else, whoever asks.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE exceptions ADD CONSTRAINT exceptions_status
      CHECK (status IN ('open', 'assessed', 'accepted', 'deviation'))`);
  await knex.raw(`COMMENT ON COLUMN exceptions.status IS 'open, assessed, accepted or deviation'`);
  await knex.raw(`
    CREATE FUNCTION attest_exception_moves() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') THEN
        RAISE EXCEPTION 'exception %: only its status changes after it is raised', OLD.id;
      END IF;
      IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
          (OLD.status = 'open' AND NEW.status = 'assessed')
          OR (OLD.status = 'assessed' AND NEW.status IN ('accepted', 'deviation'))) THEN
        RAISE EXCEPTION 'exception %: status % cannot become %', OLD.id, OLD.status, NEW.status;
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(
    `CREATE TRIGGER exceptions_move_one_way BEFORE UPDATE ON exceptions FOR EACH ROW EXECUTE FUNCTION attest_exception_moves()`,
  );

  await knex.schema.createTable('exception_dispositions', (t) => {
    t.comment('What QA decided about an exception, each decision an e-signed act (F4, F5)');
    t.uuid('id').primary().comment('Disposition id');
    t.uuid('exception_id').notNullable().references('exceptions.id').comment('The exception');
    t.text('action').notNullable().comment('assessed, accepted or deviation');
    t.text('comment').notNullable().comment('The assessment, the justification, or why a deviation');
    t.uuid('deviation_id').nullable().references('records.id').comment('The deviation raised for it');
    t.uuid('signature_id').notNullable().references('signatures.id').comment('The signature of the act');
    t.timestamp('at', { useTz: true, precision: 3 }).notNullable().comment('Server time of the act');
    t.uuid('by').notNullable().references('users.id').comment('Who decided');
    t.unique(['exception_id', 'action']);
    t.index(['exception_id']);
  });
  await knex.raw(`
    ALTER TABLE exception_dispositions ADD CONSTRAINT exception_dispositions_action
      CHECK (action IN ('assessed', 'accepted', 'deviation')
        AND (action = 'deviation') = (deviation_id IS NOT NULL))`);
  await knex.raw(
    `CREATE TRIGGER exception_dispositions_never_changed BEFORE UPDATE OR DELETE ON exception_dispositions FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(
    `CREATE TRIGGER exception_dispositions_never_truncated BEFORE TRUNCATE ON exception_dispositions FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(`GRANT SELECT, INSERT ON exception_dispositions TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON exception_dispositions FROM ${ROLE}`);
  await knex.schema.dropTable('exception_dispositions');
  await knex.raw(`DROP TRIGGER exceptions_move_one_way ON exceptions`);
  await knex.raw(`DROP FUNCTION attest_exception_moves()`);
  await knex.raw(`ALTER TABLE exceptions DROP CONSTRAINT exceptions_status`);
}
