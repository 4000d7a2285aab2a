import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Devices (scales, PLCs, instruments) and how Attest reaches them: the device plugin and its
 * settings, where the device stands, its calibration due date and whether it is in service. Each
 * row follows from its audit trail (`device.registered`, `device.changed`, with reasons).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('devices', (t) => {
    t.uuid('id').primary().comment('Subject of the device’s audit trail');
    t.text('code').notNullable().unique().comment('The plant’s equipment number, e.g. BAL-0042');
    t.text('name').notNullable().comment('What it is, for people');
    t.text('kind').notNullable().comment('scale, plc, sensor or instrument');
    t.text('plugin').notNullable().comment('npm name of the device plugin that reaches it');
    t.jsonb('settings')
      .notNullable()
      .comment('Connection settings, valid against the plugin’s settings schema');
    t.text('room').notNullable().comment('Room it stands in');
    t.text('line').nullable().comment('Line it belongs to, if any');
    t.date('calibration_due').nullable().comment('Date its calibration falls due; past it, it is not read');
    t.text('status').notNullable().comment('in_service or out_of_service (set by a person, with a reason)');
    t.integer('version').notNullable().comment('1 when registered, one more with each change');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When it was registered');
    t.uuid('created_by').notNullable().references('users.id').comment('Who registered it');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When it was last changed');
  });
  await knex.raw(`
    ALTER TABLE devices ADD CONSTRAINT devices_status CHECK (status IN ('in_service', 'out_of_service'))`);
  await knex.raw(`
    ALTER TABLE devices ADD CONSTRAINT devices_kind CHECK (kind IN ('scale', 'plc', 'sensor', 'instrument'))`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON devices TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('devices');
}
