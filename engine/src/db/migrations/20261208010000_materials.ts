import type { Knex } from 'knex';

const ROLE = 'attest_runtime';
const TABLES = ['materials', 'material_suppliers', 'lots', 'lot_counters'];

/**
 * Materials, their approved suppliers, the lots received of them with their containers, and the
 * transactions that move quantities. Each row follows from the audit trail of its material or lot;
 * stock is never a number anyone edits: `lot_stock` sums the transactions, which are only ever added.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('materials', (t) => {
    t.uuid('id').primary().comment('Subject of the material’s audit trail');
    t.text('code').notNullable().unique().comment('The plant’s material code, e.g. PCM');
    t.text('name').notNullable().comment('What it is, for people');
    t.text('type')
      .notNullable()
      .comment('api, excipient, primary_packaging, printed_packaging, intermediate or finished_product');
    t.text('base_unit').notNullable().comment('Unit stock is kept in: kg, g, mg, L, mL or pcs');
    t.text('storage_conditions').nullable().comment('How it is stored, as the label states it');
    t.integer('retest_months').nullable().comment('Months from receipt to retest; null when none');
    t.integer('shelf_life_months')
      .nullable()
      .comment('Months from receipt to expiry when the supplier states none');
    t.text('sampling_plan').notNullable().comment('Containers sampled: sqrt_n_plus_1, all or first');
    t.text('lot_number_pattern')
      .notNullable()
      .comment('Internal lot number pattern, e.g. {material}-{YY}{seq:4}');
    t.jsonb('specification')
      .notNullable()
      .comment('Tests a lot is released against: name, method, unit, limits or allowed results');
    t.integer('specification_version')
      .notNullable()
      .comment('0 until a specification is approved, one more with each approval');
    t.uuid('specification_signature_id')
      .nullable()
      .comment('Signature that approved the specification in force');
    t.integer('version').notNullable().comment('1 when created, one more with each change');
    t.timestamp('created_at', { useTz: true }).notNullable().comment('When it was created');
    t.uuid('created_by').notNullable().references('users.id').comment('Who created it');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When it was last changed');
  });
  await knex.raw(`ALTER TABLE materials ADD CONSTRAINT materials_type CHECK (type IN
    ('api', 'excipient', 'primary_packaging', 'printed_packaging', 'intermediate', 'finished_product'))`);
  await knex.raw(`ALTER TABLE materials ADD CONSTRAINT materials_base_unit CHECK (base_unit IN
    ('kg', 'g', 'mg', 'L', 'mL', 'pcs'))`);
  await knex.raw(`ALTER TABLE materials ADD CONSTRAINT materials_sampling_plan CHECK (sampling_plan IN
    ('sqrt_n_plus_1', 'all', 'first'))`);

  await knex.schema.createTable('material_suppliers', (t) => {
    t.uuid('material_id').notNullable().references('materials.id').comment('Material supplied');
    t.text('supplier_code').notNullable().comment('The plant’s supplier code');
    t.text('supplier_name').notNullable().comment('Supplier’s name');
    t.text('status').notNullable().comment('approved, conditional or blocked (an e-signed act sets it)');
    t.uuid('signature_id').notNullable().comment('Signature of the act that set the status');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When the status was last set');
    t.primary(['material_id', 'supplier_code']);
  });
  await knex.raw(`ALTER TABLE material_suppliers ADD CONSTRAINT material_suppliers_status CHECK (status IN
    ('approved', 'conditional', 'blocked'))`);

  await knex.schema.createTable('lots', (t) => {
    t.uuid('id').primary().comment('Subject of the lot’s audit trail');
    t.text('lot_number').notNullable().unique().comment('Internal lot number, from the material’s pattern');
    t.uuid('material_id').notNullable().references('materials.id').comment('Material of the lot');
    t.text('supplier_code').notNullable().comment('Supplier it was received from');
    t.text('supplier_lot').notNullable().comment('The supplier’s own lot number');
    t.text('status')
      .notNullable()
      .comment('quarantine, sampled, released, rejected, expired, returned or recalled');
    t.text('unit').notNullable().comment('Unit of its quantities: the material’s base unit at receipt');
    t.timestamp('received_at', { useTz: true }).notNullable().comment('When it was received');
    t.uuid('received_by').notNullable().references('users.id').comment('Who received it');
    t.date('expiry_date').notNullable().comment('Last day it may be used (plant zone)');
    t.date('retest_date').nullable().comment('Day by which it must be retested (plant zone); null when none');
    t.text('location').notNullable().comment('Where it is stored');
    t.integer('version').notNullable().comment('1 when received, one more with each status change');
    t.uuid('signature_id').nullable().comment('Signature of the last release, rejection, recall or return');
    t.timestamp('updated_at', { useTz: true }).notNullable().comment('When its status last changed');
    t.index(['material_id', 'status']);
  });
  await knex.raw(`ALTER TABLE lots ADD CONSTRAINT lots_status CHECK (status IN
    ('quarantine', 'sampled', 'released', 'rejected', 'expired', 'returned', 'recalled'))`);

  await knex.schema.createTable('lot_containers', (t) => {
    t.uuid('id').primary().comment('Container id');
    t.uuid('lot_id').notNullable().references('lots.id').comment('Lot it holds');
    t.text('code').notNullable().unique().comment('Code on its label, e.g. PCM-26-0003-C03');
    t.integer('number').notNullable().comment('1, 2, … within the lot');
    t.unique(['lot_id', 'number']);
  });

  await knex.schema.createTable('lot_transactions', (t) => {
    t.uuid('id').primary().comment('Transaction id, named in its event');
    t.uuid('lot_id').notNullable().references('lots.id').comment('Lot whose quantity moved');
    t.uuid('container_id').nullable().references('lot_containers.id').comment('Container, when one');
    t.text('kind').notNullable().comment('receipt, issue, return, adjustment, destruction or sample');
    t.decimal('quantity', 20, 6)
      .notNullable()
      .comment('Signed quantity in the lot’s unit: positive in, negative out');
    t.text('location').notNullable().comment('Where the quantity moved');
    t.uuid('instance_id').nullable().comment('Batch (process instance) issued to or returned from');
    t.text('task_id').nullable().comment('Step that issued or returned it');
    t.text('reason').nullable().comment('Why, for adjustments, destructions and returns');
    t.timestamp('at', { useTz: true }).notNullable().comment('When (server time, UTC)');
    t.uuid('by').notNullable().references('users.id').comment('Who moved it');
    t.index(['lot_id']);
  });
  await knex.raw(`ALTER TABLE lot_transactions ADD CONSTRAINT lot_transactions_kind CHECK (kind IN
    ('receipt', 'issue', 'return', 'adjustment', 'destruction', 'sample'))`);

  await knex.schema.createTable('lot_counters', (t) => {
    t.comment('The last lot sequence given per material and year: lot numbers are unique and gap-free');
    t.uuid('material_id').notNullable().references('materials.id').comment('Material the numbers are for');
    t.integer('year').notNullable().comment('Year of receipt in the plant’s zone');
    t.integer('last').notNullable().comment('The last sequence number given');
    t.primary(['material_id', 'year']);
  });

  await knex.raw(`
    CREATE VIEW lot_stock AS
      SELECT lot_id, container_id, location, SUM(quantity) AS quantity
        FROM lot_transactions GROUP BY lot_id, container_id, location`);
  for (const [column, comment] of [
    ['lot_id', 'Lot'],
    ['container_id', 'Container; null for a quantity the lot holds outside its containers'],
    ['location', 'Where the quantity is'],
    ['quantity', 'Sum of its transactions, in the lot’s unit'],
  ])
    await knex.raw(`COMMENT ON COLUMN lot_stock.${column} IS '${comment}'`);
  await knex.raw(
    `COMMENT ON VIEW lot_stock IS 'Stock per lot, container and location: the sum of its transactions'`,
  );

  await knex.raw(`GRANT SELECT, INSERT, UPDATE ON ${TABLES.join(', ')} TO ${ROLE}`);
  await knex.raw(`GRANT SELECT, INSERT ON lot_containers, lot_transactions TO ${ROLE}`);
  await knex.raw(`GRANT SELECT ON lot_stock TO ${ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP VIEW lot_stock');
  for (const table of [
    'lot_counters',
    'lot_transactions',
    'lot_containers',
    'lots',
    'material_suppliers',
    'materials',
  ])
    await knex.schema.dropTable(table);
}
