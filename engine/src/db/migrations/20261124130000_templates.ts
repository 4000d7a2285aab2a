import type { Knex } from 'knex';

const ROLE = 'attest_runtime';
const at = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true, precision: 3 });

/**
 * Templates and the records started from them: template versions with their lifecycle (Draft → In
 * review → Approved → Effective → Superseded / Retired), gap-free record numbers per template and
 * year, records linked to their template version, process instance and to each other, and user
 * tasks given to one named person.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('template_versions', (t) => {
    t.comment(
      'Template versions: a package (manifest, process, forms, README) and where it is in its lifecycle',
    );
    t.uuid('id').primary().comment('Template version id, also its id in the audit trail');
    t.text('template_id').notNullable().comment('Template id from the manifest, e.g. deviation');
    t.text('version').notNullable().comment('Semantic version from the manifest, e.g. 1.2.0');
    t.integer('major').notNullable().comment('Major part of the version, for ordering');
    t.integer('minor').notNullable().comment('Minor part of the version, for ordering');
    t.integer('patch').notNullable().comment('Patch part of the version, for ordering');
    t.text('kind').notNullable().comment('What records it makes, e.g. deviation, capa');
    t.text('title').notNullable().comment('Title from the manifest');
    t.jsonb('manifest').notNullable().comment('The manifest as imported');
    t.jsonb('files')
      .notNullable()
      .comment('The package files as imported: {path: text} (manifest, process, forms, README)');
    t.specificType('content_hash', 'char(64)').notNullable().comment('SHA-256 of the package files');
    t.text('status')
      .notNullable()
      .comment('draft, in_review, approved, effective, superseded or retired (D1)');
    at(t, 'created_at').notNullable().comment('When it was imported');
    t.uuid('created_by').notNullable().references('users.id').comment('Who imported it: its author');
    at(t, 'updated_at').notNullable().comment('When its status or draft content last changed');
    t.uuid('approved_by').nullable().references('users.id').comment('Who signed its approval');
    at(t, 'approved_at').nullable().comment('When its approval was signed');
    at(t, 'effective_at').nullable().comment('When it became effective');
    t.uuid('definition_id')
      .nullable()
      .references('process_definitions.id')
      .comment('The process definition deployed when it became effective');
    t.unique(['template_id', 'version']);
  });
  // Exactly one effective version per template id (D1).
  await knex.raw(
    `CREATE UNIQUE INDEX template_versions_one_effective ON template_versions (template_id) WHERE status = 'effective'`,
  );
  await knex.raw(`
    CREATE FUNCTION attest_template_released() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status <> 'draft' AND (NEW.manifest IS DISTINCT FROM OLD.manifest
          OR NEW.files IS DISTINCT FROM OLD.files OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
          OR NEW.template_id IS DISTINCT FROM OLD.template_id OR NEW.version IS DISTINCT FROM OLD.version) THEN
        RAISE EXCEPTION 'template % version % is %: its content cannot change (D3)',
          OLD.template_id, OLD.version, OLD.status;
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw(
    `CREATE TRIGGER template_versions_released BEFORE UPDATE ON template_versions FOR EACH ROW EXECUTE FUNCTION attest_template_released()`,
  );

  await knex.schema.createTable('record_counters', (t) => {
    t.comment('The last record number given per template and year: numbers are unique and gap-free');
    t.text('template_id').notNullable().comment('Template id the numbers are for');
    t.integer('year').notNullable().comment('Year of the numbers (UTC)');
    t.integer('last').notNullable().comment('The last sequence number given');
    t.primary(['template_id', 'year']);
  });

  await knex.schema.alterTable('records', (t) => {
    t.uuid('template_version_id')
      .nullable()
      .references('template_versions.id')
      .comment('The template version the record was started from, pinned for life (D2)');
    t.uuid('instance_id')
      .nullable()
      .references('process_instances.id')
      .comment('The process instance that carries the record');
    t.uuid('owner_id').nullable().references('users.id').comment('Who is responsible for the record');
    at(t, 'due_at').nullable().comment('When the record is due to be closed');
    t.uuid('parent_id')
      .nullable()
      .references('records.id')
      .comment('The record that started this one (a CAPA called from a deviation)');
    t.uuid('raised_from_id')
      .nullable()
      .references('records.id')
      .comment('The record this one was raised from (a deviation raised from a batch record)');
    t.index(['template_version_id']);
    t.index(['instance_id']);
    t.index(['parent_id']);
  });

  await knex.schema.alterTable('tasks', (t) => {
    t.text('candidate_user')
      .nullable()
      .comment('User name of the one person who may work on it (attest:assignee); null: by role');
  });

  for (const table of ['template_versions', 'record_counters']) {
    await knex.raw(
      `CREATE TRIGGER ${table}_never_deleted BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
    );
    await knex.raw(
      `CREATE TRIGGER ${table}_never_truncated BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
    );
  }
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON template_versions, record_counters TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE ALL ON template_versions, record_counters FROM ${ROLE}`);
  await knex.schema.alterTable('tasks', (t) => t.dropColumn('candidate_user'));
  await knex.schema.alterTable('records', (t) => {
    for (const c of [
      'template_version_id',
      'instance_id',
      'owner_id',
      'due_at',
      'parent_id',
      'raised_from_id',
    ])
      t.dropColumn(c);
  });
  await knex.schema.dropTable('record_counters');
  await knex.schema.dropTable('template_versions');
  await knex.raw(`DROP FUNCTION attest_template_released()`);
}
