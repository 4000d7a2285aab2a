import { plantDate } from '../kernel/clock.ts';
import type { Knex } from 'knex';
import { GateRefusal } from '../steps/gates.ts';
import type { MasterTable } from './masterRecords.ts';

export type EquipmentStatus = 'clean' | 'dirty' | 'in_use' | 'maintenance' | 'out_of_service';
export const EQUIPMENT_STATUSES = ['clean', 'dirty', 'in_use', 'maintenance', 'out_of_service'] as const;

/** Everything an equipment row holds that its trail states, by the names the trail uses. */
export interface EquipmentFacts {
  code: string;
  name: string;
  type: string;
  room: string;
  status: EquipmentStatus;
  /** Plant-zone date, YYYY-MM-DD; null for equipment that needs no calibration. */
  calibrationDue: string | null;
  qualificationDue: string | null;
  cleanHoldHours: number | null;
  /** ISO 8601 UTC; null when not clean or clean without limit. */
  cleanUntil: string | null;
  dailyCheckRequired: boolean;
  /** When its daily check last passed, ISO 8601 UTC. */
  lastDailyCheckAt: string | null;
  inUseInstanceId: string | null;
}

export const EQUIPMENT: MasterTable<EquipmentFacts> = {
  table: 'equipment',
  subject: 'equipment',
  facts: [
    'code',
    'name',
    'type',
    'room',
    'status',
    'calibrationDue',
    'qualificationDue',
    'cleanHoldHours',
    'cleanUntil',
    'dailyCheckRequired',
    'lastDailyCheckAt',
    'inUseInstanceId',
  ],
};

export interface EquipmentRow extends EquipmentFacts {
  id: string;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** An equipment row as stored (dates read as text, YYYY-MM-DD). */
interface StoredRow {
  id: string;
  code: string;
  name: string;
  type: string;
  room: string;
  status: EquipmentStatus;
  calibration_due: string | null;
  qualification_due: string | null;
  clean_hold_hours: number | null;
  clean_until: Date | null;
  daily_check_required: boolean;
  last_daily_check_at: Date | null;
  in_use_instance_id: string | null;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

const iso = (value: Date | string | null): string | null =>
  value === null ? null : new Date(value).toISOString();

/** Equipment rows with their facts as the trail names them (dates as plant dates, times in UTC). */
export async function equipmentRows(
  db: Knex | Knex.Transaction,
  where: { code?: string; id?: string } = {},
  lock = false,
): Promise<EquipmentRow[]> {
  const q = db('equipment')
    .select(
      ...['id', 'code', 'name', 'type', 'room', 'status', 'version', 'created_by'],
      ...['clean_hold_hours', 'clean_until', 'daily_check_required', 'last_daily_check_at'],
      ...['in_use_instance_id', 'created_at', 'updated_at'],
      db.raw(`to_char(calibration_due, 'YYYY-MM-DD') AS calibration_due`),
      db.raw(`to_char(qualification_due, 'YYYY-MM-DD') AS qualification_due`),
    )
    .where(where)
    .orderBy('code');
  const rows = (await (lock ? q.forUpdate() : q)) as StoredRow[];
  return rows.map((r) => ({
    id: r.id,
    code: r.code,
    name: r.name,
    type: r.type,
    room: r.room,
    status: r.status,
    calibrationDue: r.calibration_due,
    qualificationDue: r.qualification_due,
    cleanHoldHours: r.clean_hold_hours,
    cleanUntil: iso(r.clean_until),
    dailyCheckRequired: r.daily_check_required,
    lastDailyCheckAt: iso(r.last_daily_check_at),
    inUseInstanceId: r.in_use_instance_id,
    version: r.version,
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by,
    updatedAt: iso(r.updated_at)!,
  }));
}

/**
 * Why a batch may not use the equipment now (F2), or null when it may: the first cause a person
 * must remove, in the order they would find it on the shop floor. The batch already using it may
 * use it again.
 */
export function useRefusal(
  row: EquipmentRow,
  instanceId: string,
  at: Date,
  timeZone: string,
  /** A measuring instrument (a balance) measures for many batches: it is not held, nor dirtied. */
  measure = false,
): GateRefusal | null {
  const what = `${row.name} ${row.code}`;
  const today = plantDate(at, timeZone);
  if (row.status === 'out_of_service')
    return new GateRefusal(`${what} is out of service: it may not be used`, 'out_of_service');
  if (row.status === 'maintenance')
    return new GateRefusal(
      `${what} is under maintenance: it may not be used until it is ended`,
      'maintenance',
    );
  if (!measure && row.status === 'in_use' && row.inUseInstanceId !== instanceId)
    return new GateRefusal(
      `${what} is in use by another batch: it must be released and cleaned first`,
      'in_use',
    );
  if (!measure && row.status === 'dirty')
    return new GateRefusal(`${what} is dirty: it must be cleaned before use`, 'dirty');
  if (!measure && row.status === 'clean' && row.cleanUntil !== null && row.cleanUntil < at.toISOString())
    return new GateRefusal(
      `${what} was clean until ${row.cleanUntil.slice(0, 16).replace('T', ' ')} UTC: its clean-hold time has passed, it must be cleaned again`,
      'clean_expired',
    );
  if (row.calibrationDue !== null && row.calibrationDue < today)
    return new GateRefusal(
      `The calibration of ${what} fell due on ${row.calibrationDue}: it may not be used until it is calibrated`,
      'calibration_due',
    );
  if (row.qualificationDue !== null && row.qualificationDue < today)
    return new GateRefusal(
      `The qualification of ${what} fell due on ${row.qualificationDue}: it may not be used until it is requalified`,
      'qualification_due',
    );
  if (
    row.dailyCheckRequired &&
    (row.lastDailyCheckAt === null || plantDate(new Date(row.lastDailyCheckAt), timeZone) !== today)
  )
    return new GateRefusal(
      `${what} has not passed its daily check today: check it before use`,
      'daily_check',
    );
  return null;
}
