import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('process_definitions', (t) => {
    t.comment('Deployed BPMN process versions; a version is never changed, a change is a new version (D3)');
    t.uuid('id').primary().comment('Definition id');
    t.text('key').notNullable().comment('The process id in the XML; versions share it');
    t.integer('version').notNullable().comment('1, 2, 3 ... per key');
    t.text('name').nullable().comment('Process name from the model');
    t.specificType('content_hash', 'char(64)').notNullable().comment('SHA-256 of the XML deployed');
    t.text('xml').notNullable().comment('The BPMN 2.0 XML as deployed');
    t.jsonb('graph').notNullable().comment('The executable graph compiled from the XML at deployment');
    t.timestamp('deployed_at', { useTz: true, precision: 3 })
      .notNullable()
      .comment('Server time of deployment');
    t.uuid('deployed_by').notNullable().references('users.id').comment('Who deployed it');
    t.unique(['key', 'version']);
    t.unique(['key', 'content_hash']);
  });

  await knex.schema.createTable('process_instances', (t) => {
    t.comment('Running and finished process instances; each has its own audit chain');
    t.uuid('id').primary().comment('Instance id, also its id in the audit trail');
    t.uuid('definition_id')
      .notNullable()
      .references('process_definitions.id')
      .comment('Pinned definition version');
    t.text('key').notNullable().comment('Process key, for listing');
    t.text('business_key').nullable().comment('Caller-given key, e.g. a batch number');
    t.text('status').notNullable().comment('active, incident, completed or terminated');
    t.jsonb('tokens').notNullable().comment('Where the instance waits: one entry per token');
    t.jsonb('variables').notNullable().comment('Process variables (JSON)');
    t.integer('version').notNullable().comment('Sequence of the last event in the instance chain');
    t.specificType('head_hash', 'char(64)')
      .notNullable()
      .comment('Hash of the last event in the instance chain');
    t.timestamp('started_at', { useTz: true, precision: 3 }).notNullable().comment('Server time of start');
    t.uuid('started_by').notNullable().references('users.id').comment('Who started it');
    t.timestamp('ended_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When it completed or was terminated');
    t.index(['key', 'status']);
  });

  await knex.schema.createTable('tasks', (t) => {
    t.comment('User tasks: work waiting for a person');
    t.uuid('id').primary().comment('Task id');
    t.uuid('instance_id')
      .notNullable()
      .references('process_instances.id')
      .comment('Instance the task belongs to');
    t.text('token_id').notNullable().comment('Token waiting on the task');
    t.text('element_id').notNullable().comment('User task id in the model');
    t.text('name').nullable().comment('Task name from the model');
    t.text('status').notNullable().comment('open, completed or cancelled');
    t.specificType('candidate_roles', 'text[]')
      .notNullable()
      .comment('Roles that may claim and complete it; empty: any performer');
    t.text('form_key').nullable().comment('Form shown for the task');
    t.uuid('assignee').nullable().references('users.id').comment('Who claimed it');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('Server time of creation');
    t.timestamp('due_at', { useTz: true, precision: 3 }).nullable().comment('When it is due');
    t.timestamp('completed_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When it was completed or cancelled');
    t.uuid('completed_by').nullable().references('users.id').comment('Who completed it');
    t.index(['instance_id']);
  });
  await knex.raw(`CREATE INDEX tasks_open ON tasks (created_at) WHERE status = 'open'`);

  await knex.schema.createTable('incidents', (t) => {
    t.comment(
      'Where an instance cannot go on by itself and needs a person (no matching flow, a failing expression)',
    );
    t.uuid('id').primary().comment('Incident id');
    t.uuid('instance_id').notNullable().references('process_instances.id').comment('Instance that is stuck');
    t.text('token_id').notNullable().comment('Token that is stuck');
    t.text('element_id').notNullable().comment('Element where it is stuck');
    t.text('message').notNullable().comment('What went wrong, in words');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().comment('When it was raised');
    t.timestamp('resolved_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When it was retried successfully');
    t.uuid('resolved_by').nullable().references('users.id').comment('Who retried it');
    t.index(['instance_id']);
  });
  await knex.raw(`CREATE INDEX incidents_open ON incidents (created_at) WHERE resolved_at IS NULL`);

  for (const table of ['process_definitions', 'process_instances', 'tasks', 'incidents']) {
    await knex.raw(
      `CREATE TRIGGER ${table}_never_deleted BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
    );
    await knex.raw(
      `CREATE TRIGGER ${table}_never_truncated BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_change()`,
    );
  }
  await knex.raw(
    `CREATE TRIGGER process_definitions_immutable BEFORE UPDATE ON process_definitions FOR EACH ROW EXECUTE FUNCTION attest_refuse_change()`,
  );
  await knex.raw(`GRANT SELECT, INSERT ON process_definitions TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON process_instances, tasks, incidents TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['incidents', 'tasks', 'process_instances', 'process_definitions']) {
    await knex.raw(`REVOKE ALL ON ${table} FROM ${ROLE}`);
    await knex.schema.dropTable(table);
  }
}
