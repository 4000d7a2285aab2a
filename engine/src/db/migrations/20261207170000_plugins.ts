import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Plugins as Attest found them and as an administrator enabled them (G2, C4): each with the version
 * and SHA-256 of its package contents when last discovered, and the version and hash a signed act
 * enabled. A plugin whose contents differ from what was enabled is not loaded.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('plugins', (t) => {
    t.uuid('id').primary().comment('Subject of the plugin’s audit trail');
    t.text('name').notNullable().unique().comment('npm package name');
    t.text('version').notNullable().comment('Version in its package.json when last discovered');
    t.text('sha256').notNullable().comment('SHA-256 of its package contents when last discovered');
    t.text('kind').nullable().comment('device or handler; null when its manifest is invalid');
    t.integer('api_version').nullable().comment('The plugin-api version it was built for');
    t.text('entry').nullable().comment('Module, relative to the package, that exports it');
    t.jsonb('settings_schema').nullable().comment('JSON Schema of the settings its devices or handlers take');
    t.text('source').notNullable().comment('workspace or folder: where it was found');
    t.text('path').notNullable().comment('Folder of the package');
    t.jsonb('problems')
      .notNullable()
      .defaultTo('[]')
      .comment('Why its manifest is refused; empty when valid');
    t.timestamp('discovered_at', { useTz: true }).notNullable().comment('When it was last found changed');
    t.text('enabled_version').nullable().comment('Version a signed act enabled; null when not enabled');
    t.text('enabled_sha256').nullable().comment('SHA-256 a signed act enabled; null when not enabled');
    t.uuid('enabled_by').nullable().references('users.id').comment('Administrator who enabled it');
    t.timestamp('enabled_at', { useTz: true }).nullable().comment('When it was enabled');
    t.uuid('signature_id').nullable().references('signatures.id').comment('The signature that enabled it');
  });
  await knex.raw(`
    ALTER TABLE plugins ADD CONSTRAINT plugins_enabled
      CHECK ((enabled_sha256 IS NULL) = (enabled_version IS NULL)
        AND (enabled_sha256 IS NULL) = (signature_id IS NULL))`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON plugins TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('plugins');
}
