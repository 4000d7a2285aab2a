import type { Knex } from 'knex';
import { isUniqueViolation, preparedQuery } from '../db/database.ts';
import { GENESIS_HASH } from './eventHash.ts';
import { ConflictError } from '../kernel/errors.ts';
import type { AuditEvent, SubjectType } from './types.ts';

interface EventRow {
  id: number;
  record_id: string;
  record_type: SubjectType;
  seq: number;
  type: string;
  actor_id: string | null;
  actor_name: string;
  at: Date;
  payload: Record<string, unknown>;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

const COLUMNS =
  'id, record_id, record_type, seq, type, actor_id, actor_name, at, payload, reason, prev_hash, hash';

export function toEvent(row: EventRow): AuditEvent {
  return {
    id: row.id,
    recordId: row.record_id,
    recordType: row.record_type,
    seq: row.seq,
    type: row.type,
    actorId: row.actor_id,
    actorName: row.actor_name,
    at: row.at.toISOString(),
    payload: row.payload,
    reason: row.reason,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface EventFilter {
  recordId?: string;
  /** Several chains at once (a record and the process instance that carries it), in the order written. */
  recordIds?: string[];
  actorId?: string;
  from?: Date;
  to?: Date;
  /** Only events touching a field path that starts with this JSON pointer. */
  field?: string;
  limit?: number;
}

const APPEND_SQL = `
  INSERT INTO events (record_id, record_type, seq, type, actor_id, actor_name, at, payload, reason, prev_hash, hash)
  SELECT $1, $2, h.seq + 1, $3, $4, $5, $6, $7::jsonb, $8, h.hash,
         encode(sha256(convert_to($9 || (h.seq + 1)::text || $10 || h.hash, 'UTF8')), 'hex')
    FROM (SELECT COALESCE(last.seq, 0) AS seq, COALESCE(last.hash, $11) AS hash
            FROM (SELECT 1) one
            LEFT JOIN LATERAL (SELECT seq, hash FROM events WHERE record_id = $1 ORDER BY seq DESC LIMIT 1) last ON true) h
  RETURNING id, seq, prev_hash, hash`;

export const eventRepository = {
  async head(
    db: Knex | Knex.Transaction,
    recordId: string,
  ): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await db.raw<{ rows: { seq: number; hash: string }[] }>(
      'SELECT seq, hash FROM events WHERE record_id = ? ORDER BY seq DESC LIMIT 1',
      [recordId],
    );
    return rows[0];
  },

  /**
   * Appends one event in a single statement: reads the record's head, numbers the event after it
   * and hashes it with the database's sha256 over the canonical text the caller split around seq.
   * Two writers reading the same head collide on the unique (record_id, seq) key: one conflict.
   */
  async append(
    db: Knex | Knex.Transaction,
    e: Omit<AuditEvent, 'id' | 'seq' | 'prevHash' | 'hash'>,
    canonical: { before: string; after: string; payload: string },
  ): Promise<AuditEvent> {
    try {
      const rows = await preparedQuery<{ id: number; seq: number; prev_hash: string; hash: string }>(
        db,
        'attest_append_event',
        APPEND_SQL,
        [
          e.recordId,
          e.recordType,
          e.type,
          e.actorId,
          e.actorName,
          e.at,
          canonical.payload,
          e.reason,
          canonical.before,
          canonical.after,
          GENESIS_HASH,
        ],
      );
      const row = rows[0]!;
      return { ...e, id: Number(row.id), seq: row.seq, prevHash: row.prev_hash, hash: row.hash };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          `Record ${e.recordId} was changed by someone else at the same time; reload it and try again`,
        );
      }
      throw error;
    }
  },

  async list(db: Knex | Knex.Transaction, filter: EventFilter): Promise<AuditEvent[]> {
    const q = db<EventRow>('events').select(db.raw(COLUMNS));
    if (filter.recordId) q.where('record_id', filter.recordId);
    if (filter.recordIds) q.whereIn('record_id', filter.recordIds);
    if (filter.actorId) q.where('actor_id', filter.actorId);
    if (filter.from) q.where('at', '>=', filter.from);
    if (filter.to) q.where('at', '<', filter.to);
    if (filter.field) {
      q.whereRaw(
        `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(payload->'changes') = 'array' THEN payload->'changes' ELSE '[]'::jsonb END) c WHERE c->>'path' = ? OR starts_with(c->>'path', ?))`,
        [filter.field, `${filter.field}/`],
      );
    }
    // One chain in its order; several merged by time, each chain still in its own order within an instant.
    if (filter.recordId) q.orderBy('seq');
    else if (filter.recordIds) q.orderBy([{ column: 'at' }, { column: 'record_id' }, { column: 'seq' }]);
    else q.orderBy('id');
    if (filter.limit !== undefined) q.limit(filter.limit);
    return ((await q) as unknown as EventRow[]).map(toEvent);
  },

  /** How many events the chains hold, and the id of the newest. */
  async extent(
    db: Knex | Knex.Transaction,
    recordIds: string[],
  ): Promise<{ events: number; lastEventId: number | null }> {
    const row = (await db('events')
      .whereIn('record_id', recordIds)
      .first(db.raw('count(*)::int AS events, max(id)::bigint AS last'))) as
      { events: number; last: string | null } | undefined;
    return { events: row?.events ?? 0, lastEventId: row?.last === null || !row ? null : Number(row.last) };
  },

  /** One page of events in chain order, after (recordId, seq): keyset pagination for verification. */
  async page(db: Knex, after: { recordId: string; seq: number } | null, size: number): Promise<AuditEvent[]> {
    const { rows } = after
      ? await db.raw<{ rows: EventRow[] }>(
          `SELECT ${COLUMNS} FROM events WHERE (record_id, seq) > (?, ?) ORDER BY record_id, seq LIMIT ?`,
          [after.recordId, after.seq, size],
        )
      : await db.raw<{ rows: EventRow[] }>(`SELECT ${COLUMNS} FROM events ORDER BY record_id, seq LIMIT ?`, [
          size,
        ]);
    return rows.map(toEvent);
  },

  async headsChangedSince(
    db: Knex | Knex.Transaction,
    since: Date,
  ): Promise<{ recordId: string; seq: number; hash: string }[]> {
    const { rows } = await db.raw<{ rows: { record_id: string; seq: number; hash: string }[] }>(
      `SELECT DISTINCT ON (e.record_id) e.record_id, e.seq, e.hash FROM events e
        WHERE e.record_id IN (SELECT record_id FROM events WHERE at >= ? AND record_type <> 'ledger')
        ORDER BY e.record_id, e.seq DESC`,
      [since],
    );
    return rows.map((r) => ({ recordId: r.record_id, seq: r.seq, hash: r.hash }));
  },

  async lastOfType(
    db: Knex | Knex.Transaction,
    recordId: string,
    type: string,
  ): Promise<AuditEvent | undefined> {
    const { rows } = await db.raw<{ rows: EventRow[] }>(
      `SELECT ${COLUMNS} FROM events WHERE record_id = ? AND type = ? ORDER BY seq DESC LIMIT 1`,
      [recordId, type],
    );
    return rows[0] ? toEvent(rows[0]) : undefined;
  },

  async find(db: Knex | Knex.Transaction, recordId: string, seq: number): Promise<AuditEvent | undefined> {
    const { rows } = await db.raw<{ rows: EventRow[] }>(
      `SELECT ${COLUMNS} FROM events WHERE record_id = ? AND seq = ?`,
      [recordId, seq],
    );
    return rows[0] ? toEvent(rows[0]) : undefined;
  },
};
