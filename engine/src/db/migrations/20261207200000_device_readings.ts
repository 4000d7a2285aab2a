import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Readings the server took from devices for steps (E2, E3, E6): each one as the device gave it
 * (value, unit, stability, status, raw answer, the device's and the server's time), who asked for it,
 * for which value of which task, and whether the server accepted it; a refused reading is kept with
 * its reason. A value a step holds from a device names the reading it came from, and a client can
 * only refer to a reading, never state one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('device_readings', (t) => {
    t.uuid('id').primary().comment('The reading, named by the value it was entered into');
    t.uuid('device_id').notNullable().references('devices.id').comment('The device read');
    t.text('device_code').notNullable().comment('Its equipment number when it was read');
    t.integer('device_version').notNullable().comment('The device’s version (settings, calibration) then');
    t.text('plugin').notNullable().comment('The plugin that read it');
    t.text('plugin_version').notNullable().comment('That plugin’s version');
    t.uuid('task_id').notNullable().comment('The task the reading was taken for');
    t.text('pointer').notNullable().comment('The value of the task’s form it was taken for');
    t.text('action').notNullable().comment('read, tare or zero');
    t.text('channel').notNullable().comment('The device’s channel');
    t.jsonb('value').nullable().comment('The value as the device gave it');
    t.text('unit').nullable().comment('The unit as the device gave it');
    t.jsonb('stored').nullable().comment('The value as stored in the step, in the field’s unit');
    t.boolean('stable').notNullable().comment('The device’s stable flag');
    t.text('status').notNullable().comment('ok, unstable, overload, underload or error');
    t.text('device_time').nullable().comment('The device’s own time stamp, if it sent one');
    t.timestamp('server_time', { useTz: true }).notNullable().comment('When the server received it');
    t.text('raw').notNullable().comment('The device’s answer as received (E3)');
    t.boolean('accepted').notNullable().comment('Whether the server accepted it for the step (E6)');
    t.text('refusal').nullable().comment('Why it was refused');
    t.uuid('taken_by').notNullable().references('users.id').comment('Who pressed Take reading');
  });
  await knex.schema.alterTable('device_readings', (t) => t.index(['task_id', 'pointer']));
  await knex.raw(`GRANT SELECT, INSERT ON device_readings TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('device_readings');
}
