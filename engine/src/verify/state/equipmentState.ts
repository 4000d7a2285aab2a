import type { Knex } from 'knex';
import { columnOf, type MasterTable } from '../../equipment/masterRecords.ts';
import { EQUIPMENT, equipmentRows } from '../../equipment/equipmentFacts.ts';
import { ROOMS } from '../../equipment/rooms.ts';
import { chainsOf, changesOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Rows of a master table against their trails: the facts `….registered` stated, each later event of
 * the subject (a person's change, a logbook entry) changed since, the version of the last of them
 * and its time; the registration's time and author.
 */
async function checkMasterRows<F extends object>(
  knex: Knex,
  findings: Findings,
  table: MasterTable<F>,
  rows: (Record<string, unknown> & { id: string; code: string })[],
): Promise<void> {
  const chains = await chainsOf(knex, [table.subject], null, table.table);
  for (const row of rows) {
    const facts: Record<string, unknown> = {};
    let at: string | null = null;
    let createdAt: string | null = null;
    let createdBy: string | null = null;
    for (const e of chains.get(row.id) ?? []) {
      if (e.type === `${table.subject}.registered`) {
        Object.assign(facts, e.payload);
        createdAt = e.at;
        createdBy = e.actorId;
      } else if (e.type.startsWith(`${table.subject}.`)) {
        for (const c of changesOf(e)) facts[c.path.slice(1)] = c.new;
        facts.version = e.payload.version;
      } else continue;
      at = e.at;
    }
    const column = firstDifference([
      ...table.facts.map((k): [string, unknown, unknown] => [columnOf(k), row[k], facts[k] ?? null]),
      ['version', row.version, facts.version ?? null],
      ['created_at', iso(row.createdAt as string), createdAt],
      ['created_by', row.createdBy, createdBy],
      ['updated_at', iso(row.updatedAt as string), at],
    ]);
    if (column) findings.differs(table.table, row.id, `${row.code}: ${column} differs from its audit trail`);
  }
}

/** Equipment (status, clean until, due dates, daily check, the batch using it) and rooms, against their trails. */
export async function checkEquipment(knex: Knex, findings: Findings): Promise<void> {
  await checkMasterRows(knex, findings, EQUIPMENT, (await equipmentRows(knex)) as never);
  const rooms = await knex('rooms')
    .select('*', { inUseInstanceId: 'in_use_instance_id', createdAt: 'created_at' })
    .select({ createdBy: 'created_by', updatedAt: 'updated_at' })
    .orderBy('code');
  await checkMasterRows(knex, findings, ROOMS, rooms);
}
