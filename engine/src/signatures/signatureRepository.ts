import type { Knex } from 'knex';
import type { Meaning } from './types.ts';

type Db = Knex | Knex.Transaction;

export interface SignatureRow {
  id: string;
  record_id: string;
  record_type: string;
  event_seq: number;
  signer_id: string;
  signer_username: string;
  signer_name: string;
  meaning: Meaning;
  reason: string | null;
  signed_at: Date;
  content_hash: string;
  record_version: number;
  withdrawn_at: Date | null;
  withdrawn_by: string | null;
  withdrawal_reason: string | null;
  /** For a signature over values of one task (a verification): the task and the values. */
  task_id?: string | null;
  pointers?: string[] | null;
  /** For an audit-trail review (C6): the record and the extent of its trail the signature covers. */
  reviewed?: ReviewedTrail | null;
}

/** The extent of a record's audit trail a review signed: the events there were, and the last one. */
export interface ReviewedTrail {
  recordId: string;
  events: number;
  lastEventId: number | null;
}

export const signatureRepository = {
  async insert(db: Db, row: SignatureRow): Promise<void> {
    await db('signatures').insert({
      ...row,
      pointers: row.pointers ? JSON.stringify(row.pointers) : null,
      reviewed: row.reviewed ? JSON.stringify(row.reviewed) : null,
    });
  },

  find: (db: Db, id: string) =>
    db<SignatureRow>('signatures').where({ id }).first() as Promise<SignatureRow | undefined>,

  async forRecord(db: Db, recordId: string): Promise<SignatureRow[]> {
    return db<SignatureRow>('signatures')
      .where({ record_id: recordId })
      .orderBy('signed_at')
      .orderBy('event_seq');
  },

  /** Signatures that do not match the signature event they name: moved, copied or edited rows. */
  async outOfStep(db: Db): Promise<{ id: string; record_id: string; event_seq: number }[]> {
    const { rows } = await db.raw(
      `SELECT s.id, s.record_id, s.event_seq FROM signatures s
         LEFT JOIN events e ON e.record_id = s.record_id AND e.seq = s.event_seq
        WHERE e.id IS NULL OR e.type <> 'signature.applied'
           OR e.payload->>'signatureId' IS DISTINCT FROM s.id::text
           OR e.payload->>'meaning' IS DISTINCT FROM s.meaning
           OR e.payload->>'contentHash' IS DISTINCT FROM s.content_hash
           OR e.actor_id IS DISTINCT FROM s.signer_id OR e.at <> s.signed_at`,
    );
    return rows;
  },

  async withdraw(db: Db, id: string, at: Date, by: string, reason: string): Promise<boolean> {
    const n = await db('signatures')
      .where({ id })
      .whereNull('withdrawn_at')
      .update({ withdrawn_at: at, withdrawn_by: by, withdrawal_reason: reason });
    return n === 1;
  },
};
