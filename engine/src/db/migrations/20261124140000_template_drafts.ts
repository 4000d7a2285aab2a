import type { Knex } from 'knex';

/**
 * Drafts saved as work in progress: the designer saves a template version before it compiles, so
 * each version keeps whether its package passed the checks of an import when it was last saved.
 * Versions imported before were checked at import: they compile.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('template_versions', (t) => {
    t.boolean('compiles')
      .notNullable()
      .defaultTo(true)
      .comment(
        'Whether the package passed every check of an import when it was last saved; only one that does is submitted for review',
      );
  });
  // Every save states it; a default would claim it for a save that forgot to.
  await knex.raw(`ALTER TABLE template_versions ALTER COLUMN compiles DROP DEFAULT`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('template_versions', (t) => t.dropColumn('compiles'));
}
