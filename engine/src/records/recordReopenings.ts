import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

/**
 * SQL: the record `r` is reopened (D4): one of its reopenings has no Approved signature on the
 * record after it, still standing. A new approval closes it again; withdrawing that approval
 * reopens it.
 */
export const REOPENED_SQL = `EXISTS (SELECT 1 FROM record_reopenings ro WHERE ro.record_id = r.id
    AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.record_id = r.id AND s.record_type = 'record'
      AND s.meaning = 'Approved' AND s.withdrawn_at IS NULL AND s.signed_at > ro.at))`;

/** A reopening of a record (D4): who, when, why, from which status, its signature, and what closed it again. */
export interface Reopening {
  id: string;
  recordId: string;
  reason: string;
  previousStatus: string;
  signatureId: string;
  at: string;
  by: { id: string; username: string; printedName: string };
  /** The Approved signature that closed the record again; null while it is reopened. */
  closedBy: { signatureId: string; at: string; printedName: string; username: string } | null;
}

interface ReopeningRow {
  id: string;
  record_id: string;
  reason: string;
  previous_status: string;
  signature_id: string;
  at: Date;
  by: string;
  username: string;
  printed_name: string;
}

/** The reopenings of a record, oldest first, each with the approval that closed it again, if any. */
export async function reopeningsOf(db: Db, recordId: string): Promise<Reopening[]> {
  const rows = (await db('record_reopenings as ro')
    .join('users as u', 'u.id', 'ro.by')
    .where('ro.record_id', recordId)
    .orderBy('ro.at')
    .orderBy('ro.id')
    .select('ro.*', 'u.username', 'u.printed_name')) as ReopeningRow[];
  if (rows.length === 0) return [];
  const approvals = (await db('signatures')
    .where({ record_id: recordId, record_type: 'record', meaning: 'Approved' })
    .whereNull('withdrawn_at')
    .orderBy('signed_at')
    .select('id', 'signed_at', 'signer_name', 'signer_username')) as {
    id: string;
    signed_at: Date;
    signer_name: string;
    signer_username: string;
  }[];
  return rows.map((r) => {
    const closing = approvals.find((a) => a.signed_at > r.at);
    return {
      id: r.id,
      recordId: r.record_id,
      reason: r.reason,
      previousStatus: r.previous_status,
      signatureId: r.signature_id,
      at: r.at.toISOString(),
      by: { id: r.by, username: r.username, printedName: r.printed_name },
      closedBy: closing
        ? {
            signatureId: closing.id,
            at: closing.signed_at.toISOString(),
            printedName: closing.signer_name,
            username: closing.signer_username,
          }
        : null,
    };
  });
}

/** The reopening that keeps a record reopened, or null when it is not reopened. */
export async function openReopening(db: Db, recordId: string): Promise<Reopening | null> {
  return (await reopeningsOf(db, recordId)).find((r) => r.closedBy === null) ?? null;
}

/**
 * The first reopening made after a signature, which that signature precedes (D4); null for one
 * given after the last reopening. A reopening's own signature precedes only the later ones.
 */
export function reopeningAfter(
  reopenings: readonly Pick<Reopening, 'id' | 'at' | 'signatureId'>[],
  signature: { id: string; signedAt: string },
): { reopeningId: string; at: string } | null {
  const own = reopenings.find((r) => r.signatureId === signature.id);
  const next = reopenings.find((r) => (own ? r.at > own.at : r.at >= signature.signedAt));
  return next ? { reopeningId: next.id, at: next.at } : null;
}
