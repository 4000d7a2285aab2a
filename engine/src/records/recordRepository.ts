import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';
import { ConflictError } from '../kernel/errors.ts';

type Db = Knex | Knex.Transaction;

export interface RecordRow {
  id: string;
  number: string;
  kind: string;
  title: string;
  status: string;
  content: Record<string, unknown>;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

export interface GmpRecord {
  id: string;
  number: string;
  kind: string;
  title: string;
  status: string;
  content: Record<string, unknown>;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

function toRecord(row: RecordRow): GmpRecord {
  return {
    id: row.id,
    number: row.number,
    kind: row.kind,
    title: row.title,
    status: row.status,
    content: row.content,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
  };
}

export const recordRepository = {
  async find(db: Db, id: string): Promise<GmpRecord | undefined> {
    const row = await db<RecordRow>('records').where({ id }).first();
    return row ? toRecord(row as RecordRow) : undefined;
  },

  async all(db: Db): Promise<GmpRecord[]> {
    return ((await db<RecordRow>('records').orderBy('id')) as RecordRow[]).map(toRecord);
  },

  async insert(db: Db, row: RecordRow): Promise<void> {
    try {
      await db('records').insert({ ...row, content: JSON.stringify(row.content) });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError(`Record number ${row.number} is taken; try again`);
      throw error;
    }
  },

  async update(
    db: Db,
    id: string,
    version: number,
    patch: Partial<Pick<RecordRow, 'content' | 'status' | 'updated_at'>>,
  ): Promise<boolean> {
    const values: Record<string, unknown> = { ...patch, version: version + 1 };
    if (patch.content) values.content = JSON.stringify(patch.content);
    return (await db('records').where({ id, version }).update(values)) === 1;
  },

  /** Next number of the form KIND-YYYY-NNNN; templates bring their own patterns. */
  async nextNumber(db: Db, kind: string, now: Date): Promise<string> {
    const prefix = `${
      kind
        .toUpperCase()
        .replace(/[^A-Z0-9]+/g, '')
        .slice(0, 6) || 'REC'
    }-${now.getUTCFullYear()}-`;
    const { rows } = await db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM records WHERE number LIKE ? || '%'`,
      [prefix],
    );
    return `${prefix}${String((rows[0]?.n ?? 0) + 1).padStart(4, '0')}`;
  },
};
