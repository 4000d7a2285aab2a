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
}

export const signatureRepository = {
  async insert(db: Db, row: SignatureRow): Promise<void> {
    await db('signatures').insert(row);
  },

  find: (db: Db, id: string) =>
    db<SignatureRow>('signatures').where({ id }).first() as Promise<SignatureRow | undefined>,

  async forRecord(db: Db, recordId: string): Promise<SignatureRow[]> {
    return db<SignatureRow>('signatures')
      .where({ record_id: recordId })
      .orderBy('signed_at')
      .orderBy('event_seq');
  },

  async all(db: Db): Promise<SignatureRow[]> {
    return db<SignatureRow>('signatures').orderBy('record_id').orderBy('event_seq');
  },

  async withdraw(db: Db, id: string, at: Date, by: string, reason: string): Promise<boolean> {
    const n = await db('signatures')
      .where({ id })
      .whereNull('withdrawn_at')
      .update({ withdrawn_at: at, withdrawn_by: by, withdrawal_reason: reason });
    return n === 1;
  },
};
