import type { Knex } from 'knex';

const ROLE = 'attest_runtime';

/**
 * Rooms and equipment as GMP master records (F2, 21 CFR 211.182): where a batch is made and what
 * it is made on, with the status a step checks before it may use them. Each row follows from its
 * audit trail: `room.registered` / `equipment.registered`, `….changed` with reasons, and the
 * logbook events (used, released, cleaned, maintenance, calibration, qualification, daily check,
 * status set by a person).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rooms', (t) => {
    t.uuid('id').primary().comment('Subject of the room’s audit trail');
    t.text('code').notNullable().unique().comment('The plant’s room number, e.g. R-104; never changed');
    t.text('name').notNullable().comment('What the room is, for people');
    t.text('class')
      .notNullable()
      .comment('Cleanroom grade A, B, C or D, or CNC (controlled, not classified)');
    t.text('status')
      .notNullable()
      .comment('cleared (line clearance done), in_use by a batch, to_clean, or out_of_service');
    t.uuid('in_use_instance_id')
      .nullable()
      .comment('The process instance (batch) using the room, when in use');
    t.integer('version').notNullable().comment('1 when registered, one more with each event that changes it');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When it was registered');
    t.uuid('created_by').notNullable().references('users.id').comment('Who registered it');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When it last changed');
  });
  await knex.raw(`
    ALTER TABLE rooms ADD CONSTRAINT rooms_class CHECK (class IN ('A', 'B', 'C', 'D', 'CNC'))`);
  await knex.raw(`
    ALTER TABLE rooms ADD CONSTRAINT rooms_status
      CHECK (status IN ('cleared', 'in_use', 'to_clean', 'out_of_service'))`);
  await knex.raw(`
    ALTER TABLE rooms ADD CONSTRAINT rooms_in_use
      CHECK ((status = 'in_use') = (in_use_instance_id IS NOT NULL))`);

  await knex.schema.createTable('equipment', (t) => {
    t.uuid('id').primary().comment('Subject of the equipment’s audit trail and logbook');
    t.text('code').notNullable().unique().comment('The plant’s equipment number, e.g. MX-01; never changed');
    t.text('name').notNullable().comment('What it is, for people');
    t.text('type').notNullable().comment('Kind of equipment, e.g. mixer, granulator, scale');
    t.text('room').notNullable().comment('Code of the room it stands in');
    t.text('status')
      .notNullable()
      .comment('clean, dirty, in_use (by a batch), maintenance or out_of_service');
    t.date('calibration_due')
      .nullable()
      .comment('Plant-zone date its calibration falls due; null: needs none');
    t.date('qualification_due')
      .nullable()
      .comment('Plant-zone date its requalification falls due; null: needs none');
    t.integer('clean_hold_hours')
      .nullable()
      .comment('Hours it stays clean after cleaning; null: clean until used');
    t.timestamp('clean_until', { useTz: true, precision: 3 })
      .nullable()
      .comment('When its cleaning expires (cleaned at plus clean-hold hours); null: no expiry or not clean');
    t.boolean('daily_check_required').notNullable().comment('Whether it needs a passed check each plant day');
    t.timestamp('last_daily_check_at', { useTz: true, precision: 3 })
      .nullable()
      .comment('When its daily check last passed');
    t.uuid('in_use_instance_id').nullable().comment('The process instance (batch) using it, when in use');
    t.integer('version').notNullable().comment('1 when registered, one more with each event that changes it');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When it was registered');
    t.uuid('created_by').notNullable().references('users.id').comment('Who registered it');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When it last changed');
  });
  await knex.raw(`
    ALTER TABLE equipment ADD CONSTRAINT equipment_status
      CHECK (status IN ('clean', 'dirty', 'in_use', 'maintenance', 'out_of_service'))`);
  await knex.raw(`
    ALTER TABLE equipment ADD CONSTRAINT equipment_in_use
      CHECK ((status = 'in_use') = (in_use_instance_id IS NOT NULL))`);
  await knex.raw(`
    ALTER TABLE equipment ADD CONSTRAINT equipment_clean_hold CHECK (clean_hold_hours > 0)`);
  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON rooms, equipment TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('equipment');
  await knex.schema.dropTable('rooms');
}
