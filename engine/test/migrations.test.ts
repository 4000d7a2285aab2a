import assert from 'node:assert/strict';
import { migrateOwner, openDatabase } from '../src/index.ts';
import { createTestDatabase } from './support/testEngine.ts';

describe('Feature: migrations', () => {
  it('Scenario: up, down and up again on an empty database, every column commented', async () => {
    const { options, drop } = await createTestDatabase();
    const db = await openDatabase({ ...options, owner: true, migrate: false });
    try {
      const up = await migrateOwner(db.knex, 'latest');
      assert.ok(up.length > 0);
      const uncommented = await db.knex.raw(`
        SELECT c.table_name, c.column_name FROM information_schema.columns c
        JOIN pg_class t ON t.relname = c.table_name AND t.relnamespace = 'public'::regnamespace
        WHERE c.table_schema = 'public' AND c.table_name NOT LIKE 'knex_%'
          AND col_description(t.oid, c.ordinal_position) IS NULL`);
      assert.deepEqual(uncommented.rows, []);
      const down = await migrateOwner(db.knex, 'rollback-all');
      assert.deepEqual([...down].sort(), [...up].sort());
      const tables = await db.knex.raw(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'knex_%'`,
      );
      assert.deepEqual(tables.rows, []);
      assert.deepEqual(await migrateOwner(db.knex, 'latest'), up);
    } finally {
      await db.close();
      await drop();
    }
  });
});
