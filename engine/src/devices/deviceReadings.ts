import type { Knex } from 'knex';
import type { Reading } from '@attest/plugin-api';

type Db = Knex | Knex.Transaction;

/** A reading the server took for a step, as the `device_readings` table holds it. */
export interface ReadingRow {
  id: string;
  device_id: string;
  device_code: string;
  device_version: number;
  plugin: string;
  plugin_version: string;
  task_id: string;
  pointer: string;
  action: 'read' | 'tare' | 'zero';
  channel: string;
  value: Reading['value'];
  unit: string | null;
  /** The value in the field's unit, as stored in the step; null for a refused reading. */
  stored: number | null;
  stable: boolean;
  status: Reading['status'];
  device_time: string | null;
  server_time: Date;
  raw: string;
  accepted: boolean;
  refusal: string | null;
  taken_by: string;
}

/** A reading as the step view and the record show it. */
export interface ReadingView {
  id: string;
  deviceId: string;
  deviceCode: string;
  channel: string;
  action: ReadingRow['action'];
  value: Reading['value'];
  unit: string | null;
  stored: number | null;
  stable: boolean;
  status: Reading['status'];
  raw: string;
  deviceTime: string | null;
  serverTime: string;
  accepted: boolean;
  refusal: string | null;
}

export const readingView = (r: ReadingRow): ReadingView => ({
  id: r.id,
  deviceId: r.device_id,
  deviceCode: r.device_code,
  channel: r.channel,
  action: r.action,
  value: r.value,
  unit: r.unit,
  stored: r.stored,
  stable: r.stable,
  status: r.status,
  raw: r.raw,
  deviceTime: r.device_time,
  serverTime: r.server_time.toISOString(),
  accepted: r.accepted,
  refusal: r.refusal,
});

/** The readings devices gave steps; written once, never changed. */
export const readingRepository = {
  async insert(db: Db, row: ReadingRow): Promise<void> {
    await db('device_readings').insert({
      ...row,
      value: JSON.stringify(row.value),
      stored: JSON.stringify(row.stored),
    });
  },

  async byIds(db: Db, ids: string[]): Promise<ReadingRow[]> {
    if (ids.length === 0) return [];
    return db('device_readings').whereIn('id', ids);
  },
};
