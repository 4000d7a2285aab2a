import type { Knex } from 'knex';
import type { FieldChange } from '../../audit/types.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Devices against their audit trails: every fact of a row (plugin, settings, room, calibration due
 * date, status) as `device.registered` stated it and each `device.changed` changed it since, with
 * the version and the time of the last event.
 */
export async function checkDevices(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['device'], null, 'devices');
  const rows = await knex('devices')
    .select('*', knex.raw(`to_char(calibration_due, 'YYYY-MM-DD') AS calibration_due`))
    .orderBy('id');
  for (const row of rows) {
    const facts: Record<string, unknown> = {};
    let at: string | null = null;
    let createdAt: string | null = null;
    let createdBy: string | null = null;
    for (const e of chains.get(row.id) ?? []) {
      if (e.type === 'device.registered') {
        Object.assign(facts, e.payload);
        createdAt = e.at;
        createdBy = e.actorId;
      } else if (e.type === 'device.changed') {
        for (const c of e.payload.changes as FieldChange[]) facts[c.path.slice(1)] = c.new;
        facts.version = e.payload.version;
      } else continue;
      at = e.at;
    }
    const column = firstDifference([
      ['code', row.code, facts.code ?? null],
      ['name', row.name, facts.name ?? null],
      ['kind', row.kind, facts.kind ?? null],
      ['plugin', row.plugin, facts.plugin ?? null],
      ['settings', row.settings, facts.settings ?? null],
      ['room', row.room, facts.room ?? null],
      ['line', row.line, facts.line ?? null],
      ['calibration_due', row.calibration_due, facts.calibrationDue ?? null],
      ['status', row.status, facts.status ?? null],
      ['version', row.version, facts.version ?? null],
      ['created_at', iso(row.created_at), createdAt],
      ['created_by', row.created_by, createdBy],
      ['updated_at', iso(row.updated_at), at],
    ]);
    if (column) findings.differs('devices', row.id, `${row.code}: ${column} differs from its audit trail`);
  }
}
