import type { Knex } from 'knex';

/**
 * A step that reviews a record's audit trail (C6) signs what it reviewed: the record and the
 * extent of its trail when signed (how many events, the last one's id), kept with the signature so
 * the signature is checked against that same extent later.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signatures', (t) => {
    t.jsonb('reviewed')
      .nullable()
      .comment('For an audit-trail review: the record and the extent of its trail the signature covers');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signatures', (t) => {
    t.dropColumn('reviewed');
  });
}
