import type { Knex } from 'knex';
import type { EventDraft } from '../audit/types.ts';
import { isUniqueViolation } from '../db/database.ts';
import { ConflictError } from '../kernel/errors.ts';
import type { DeviceProvenance } from './pipeline.ts';

type Db = Knex | Knex.Transaction;

export interface FormRow {
  id: string;
  key: string;
  version: number;
  title: string | null;
  definition: Record<string, unknown>;
  content_hash: string;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  locked_at: Date | null;
}

export interface ValueRow {
  task_id: string;
  pointer: string;
  instance_id: string;
  form_id: string;
  value: unknown;
  source: 'manual' | 'device' | 'calculated';
  device: DeviceProvenance | null;
  na_reason: string | null;
  entered: number | null;
  original_value: unknown;
  entered_at: Date;
  entered_by: string;
  changed_at: Date | null;
  changed_by: string | null;
  change_reason: string | null;
  corrections: number;
  verified_by: string | null;
  verified_at: Date | null;
  verification_id: string | null;
}

/** Where QA's decision on an exception stands (F4, F5): only ever open → assessed → accepted | deviation. */
export type ExceptionStatus = 'open' | 'assessed' | 'accepted' | 'deviation';

export interface ExceptionRow {
  id: string;
  instance_id: string;
  task_id: string | null;
  element_id: string | null;
  pointer: string | null;
  type: string;
  severity: string;
  blocking: boolean;
  message: string;
  details: Record<string, unknown>;
  status: ExceptionStatus;
  raised_at: Date;
  raised_by: string | null;
}

/** The event that raises an exception, in its instance's chain: every fact of it, which verify proves the row by. */
export function exceptionRaised(e: ExceptionRow): EventDraft {
  return {
    type: 'exception.raised',
    payload: {
      exceptionId: e.id,
      taskId: e.task_id,
      pointer: e.pointer,
      exceptionType: e.type,
      severity: e.severity,
      blocking: e.blocking,
      message: e.message,
      details: e.details,
    },
  };
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export const formRepository = {
  async find(db: Db, id: string): Promise<FormRow | undefined> {
    return db('forms').where({ id }).first();
  },

  async byKey(db: Db, key: string, version?: number): Promise<FormRow | undefined> {
    const q = db('forms').where({ key });
    return version === undefined ? q.orderBy('version', 'desc').first() : q.andWhere({ version }).first();
  },

  async byHash(db: Db, key: string, hash: string): Promise<FormRow | undefined> {
    return db('forms').where({ key, content_hash: hash }).first();
  },

  async list(db: Db): Promise<FormRow[]> {
    return db('forms').orderBy([{ column: 'key' }, { column: 'version', order: 'desc' }]);
  },

  async insert(db: Db, row: FormRow): Promise<void> {
    await db('forms').insert({ ...row, definition: JSON.stringify(row.definition) });
  },

  async revise(
    db: Db,
    id: string,
    change: Pick<FormRow, 'definition' | 'content_hash' | 'title' | 'updated_at'>,
  ) {
    return db('forms')
      .where({ id })
      .whereNull('locked_at')
      .update({ ...change, definition: JSON.stringify(change.definition) });
  },

  /** Freezes a form version; true when this call froze it. */
  async lock(db: Db, id: string, at: Date): Promise<boolean> {
    return (await db('forms').where({ id }).whereNull('locked_at').update({ locked_at: at })) > 0;
  },

  async values(db: Db, taskId: string): Promise<ValueRow[]> {
    return db('form_values').where({ task_id: taskId }).orderBy('entered_at').orderBy('pointer');
  },

  async valuesOfInstance(db: Db, instanceId: string): Promise<ValueRow[]> {
    return db('form_values').where({ instance_id: instanceId }).orderBy('entered_at').orderBy('pointer');
  },

  async insertValues(db: Db, rows: ValueRow[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await db('form_values').insert(
        rows.map((r) => ({
          ...r,
          value: json(r.value),
          device: json(r.device),
          entered: json(r.entered),
          original_value: json(r.original_value),
        })),
      );
    } catch (error) {
      // Someone entered the same value first, past the instance lock (a writer that does not take it).
      if (isUniqueViolation(error)) throw new ConflictError('The values were entered meanwhile; reload them');
      throw error;
    }
  },

  async updateValue(db: Db, row: ValueRow): Promise<void> {
    const { task_id, pointer, ...rest } = row;
    await db('form_values')
      .where({ task_id, pointer })
      .update({
        ...rest,
        value: json(rest.value),
        device: json(rest.device),
        entered: json(rest.entered),
        original_value: json(rest.original_value),
      });
  },

  async insertExceptions(db: Db, rows: ExceptionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await db('exceptions').insert(rows.map((r) => ({ ...r, details: JSON.stringify(r.details) })));
  },

  async exceptions(db: Db, filter: { instanceId?: string; taskId?: string }): Promise<ExceptionRow[]> {
    const q = db('exceptions').orderBy('raised_at').orderBy('id');
    if (filter.instanceId) q.where({ instance_id: filter.instanceId });
    if (filter.taskId) q.where({ task_id: filter.taskId });
    return q;
  },
};
