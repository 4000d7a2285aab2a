import type { Knex } from 'knex';

const ROLE = 'attest_runtime';
const at = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true, precision: 3 });

/**
 * Forms and what people enter into them: form versions (content-hashed, frozen once a deployed
 * process uses them), every value of a task with its provenance and correction history, the
 * exceptions values raise, and signatures that cover some values of one task.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('forms', (t) => {
    t.comment('Form versions: the Form.io definition QA designed and the schema it compiles to');
    t.uuid('id').primary().comment('Form version id');
    t.text('key').notNullable().comment('Form key, as user tasks name it (attest:formKey)');
    t.integer('version').notNullable().comment('Version of the key, from 1');
    t.text('title').nullable().comment('Title of the form');
    t.jsonb('definition').notNullable().comment('Form.io definition as imported');
    t.text('content_hash').notNullable().comment('SHA-256 of the canonical definition');
    at(t, 'created_at').notNullable().comment('When the version was created');
    t.uuid('created_by').notNullable().references('users.id').comment('Who imported it');
    at(t, 'updated_at').notNullable().comment('When its content last changed (a draft may change)');
    at(t, 'locked_at').nullable().comment('When a deployed process first used it; never changes after');
    t.unique(['key', 'version']);
  });
  await knex.raw(`
    CREATE FUNCTION attest_form_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.locked_at IS NOT NULL AND (NEW.definition IS DISTINCT FROM OLD.definition
          OR NEW.content_hash IS DISTINCT FROM OLD.content_hash OR NEW.locked_at IS DISTINCT FROM OLD.locked_at
          OR NEW.key IS DISTINCT FROM OLD.key OR NEW.version IS DISTINCT FROM OLD.version) THEN
        RAISE EXCEPTION 'form % version % is in use and cannot change', OLD.key, OLD.version;
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(
    `CREATE TRIGGER forms_frozen BEFORE UPDATE ON forms FOR EACH ROW EXECUTE FUNCTION attest_form_frozen()`,
  );

  await knex.schema.createTable('form_values', (t) => {
    t.comment('Every value entered in a task: current value, provenance, first entry and correction');
    t.uuid('task_id').notNullable().references('tasks.id').comment('Task the value belongs to');
    t.text('pointer')
      .notNullable()
      .comment('JSON pointer of the value in the form data, e.g. /samples/0/weight');
    t.uuid('instance_id').notNullable().references('process_instances.id').comment('Instance of the task');
    t.uuid('form_id').notNullable().references('forms.id').comment('Form version it was entered in');
    t.jsonb('value').nullable().comment('Current value; null when answered N/A or cleared');
    t.text('source').notNullable().comment('manual, device or calculated (E2)');
    t.jsonb('device').nullable().comment('Device id, channel and raw reading of a device value (E3)');
    t.text('na_reason').nullable().comment('Reason of an N/A answer (E7)');
    t.jsonb('entered').nullable().comment('The number as entered, when rounding changed it');
    t.jsonb('original_value').nullable().comment('Value at first entry');
    at(t, 'entered_at').notNullable().comment('Server time of first entry (E1)');
    t.uuid('entered_by').notNullable().references('users.id').comment('Who entered it first');
    at(t, 'changed_at').nullable().comment('Server time of the last correction after first entry');
    t.uuid('changed_by').nullable().references('users.id').comment('Who corrected it last');
    t.text('change_reason').nullable().comment('Reason of the last correction (B3)');
    t.integer('corrections')
      .notNullable()
      .defaultTo(0)
      .comment('How often it was corrected after first entry');
    t.uuid('verified_by').nullable().references('users.id').comment('Second person who verified it (E5)');
    at(t, 'verified_at').nullable().comment('When it was verified');
    t.uuid('verification_id').nullable().comment('Signature (meaning Verified) that covers it');
    t.primary(['task_id', 'pointer']);
    t.index(['instance_id']);
  });

  await knex.schema.createTable('exceptions', (t) => {
    t.comment(
      'Exceptions raised on records: limit breaches, N/A answers, manual entries in place of a device',
    );
    t.uuid('id').primary().comment('Exception id');
    t.uuid('instance_id')
      .notNullable()
      .references('process_instances.id')
      .comment('Instance it was raised in');
    t.uuid('task_id').nullable().references('tasks.id').comment('Task whose values raised it');
    t.text('element_id').nullable().comment('Element of the task in the model');
    t.text('pointer').nullable().comment('Value it is about');
    t.text('type').notNullable().comment('limit_breach, na or manual_entry');
    t.text('severity').notNullable().comment('low, medium or high');
    t.boolean('blocking').notNullable().comment('Release is refused while it is open');
    t.text('message').notNullable().comment('What happened, in plain language');
    t.jsonb('details').notNullable().comment('Value, limits and other facts');
    t.text('status').notNullable().comment('open (resolution comes with review)');
    at(t, 'raised_at').notNullable().comment('Server time it was raised');
    t.uuid('raised_by').nullable().references('users.id').comment('Whose entry raised it');
    t.index(['instance_id']);
  });

  await knex.schema.alterTable('signatures', (t) => {
    t.uuid('task_id').nullable().comment('For a signature over values of one task: the task');
    t.jsonb('pointers').nullable().comment('For a signature over values of one task: the values it covers');
  });

  for (const table of ['forms', 'form_values', 'exceptions']) {
    await knex.raw(
      `CREATE TRIGGER ${table}_never_deleted BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
    );
    await knex.raw(
      `CREATE TRIGGER ${table}_never_truncated BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
    );
  }
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON forms, form_values, exceptions TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON forms, form_values, exceptions FROM ${ROLE}`);
  await knex.schema.alterTable('signatures', (t) => {
    t.dropColumn('task_id');
    t.dropColumn('pointers');
  });
  await knex.schema.dropTable('exceptions');
  await knex.schema.dropTable('form_values');
  await knex.schema.dropTable('forms');
  await knex.raw(`DROP FUNCTION attest_form_frozen()`);
}
