import type { Knex } from 'knex';

type Db = Knex | Knex.Transaction;

export type SecurityChangeKind = 'role' | 'user-roles';
export type SecurityChangeStatus = 'pending' | 'approved' | 'rejected';

interface SecurityChangeRow {
  id: string;
  kind: SecurityChangeKind;
  target: string;
  proposal: Record<string, unknown>;
  base_version: number | null;
  status: SecurityChangeStatus;
  proposed_by: string;
  proposed_at: Date;
  proposal_reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  version: number;
}

/** A change to access waiting for, or decided by, a second administrator (dual control). */
export interface SecurityChange {
  id: string;
  kind: SecurityChangeKind;
  /** The role name, or the id of the user whose roles change. */
  target: string;
  proposal: Record<string, unknown>;
  baseVersion: number | null;
  status: SecurityChangeStatus;
  proposedBy: string;
  proposedAt: string;
  proposalReason: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  version: number;
}

const toChange = (r: SecurityChangeRow): SecurityChange => ({
  id: r.id,
  kind: r.kind,
  target: r.target,
  proposal: r.proposal,
  baseVersion: r.base_version,
  status: r.status,
  proposedBy: r.proposed_by,
  proposedAt: r.proposed_at.toISOString(),
  proposalReason: r.proposal_reason,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  decisionReason: r.decision_reason,
  version: r.version,
});

export const securityChangeRepository = {
  async insert(
    db: Db,
    row: Omit<SecurityChangeRow, 'decided_by' | 'decided_at' | 'decision_reason' | 'version'>,
  ): Promise<void> {
    await db('security_change_requests').insert({
      ...row,
      proposal: JSON.stringify(row.proposal),
      version: 1,
    });
  },

  async find(db: Db, id: string): Promise<SecurityChange | undefined> {
    const row = await db<SecurityChangeRow>('security_change_requests').where({ id }).first();
    return row ? toChange(row as SecurityChangeRow) : undefined;
  },

  async list(db: Db, status?: SecurityChangeStatus): Promise<SecurityChange[]> {
    const rows: SecurityChangeRow[] = await db('security_change_requests')
      .modify((q) => {
        if (status) q.where({ status });
      })
      .orderBy('proposed_at');
    return rows.map(toChange);
  },

  /** Records the decision on a pending change; false when someone else decided it first. */
  async decide(
    db: Db,
    id: string,
    version: number,
    status: 'approved' | 'rejected',
    by: string,
    at: Date,
    reason: string | null,
  ): Promise<boolean> {
    const n = await db('security_change_requests')
      .where({ id, version, status: 'pending' })
      .update({ status, decided_by: by, decided_at: at, decision_reason: reason, version: version + 1 });
    return n === 1;
  },
};
