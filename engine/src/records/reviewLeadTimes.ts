import type { Knex } from 'knex';
import { TREE_ROOT } from '../bpmn/service/instanceTree.ts';
import { InputError } from '../kernel/errors.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import type { Meaning } from '../signatures/types.ts';

/** The meanings that end a review step: the review itself, or its approval, release or rejection. */
const REVIEW_MEANINGS: readonly Meaning[] = ['Reviewed', 'Approved', 'Released', 'Rejected'];

/**
 * One review step done: from the moment the record's process reached it (its task was opened) to
 * the signature that completed it. Derived from tasks and signatures, both proven by the audit
 * trail, so it is recorded as surely as they are.
 */
export interface ReviewLeadTime {
  record: { id: string; number: string; templateId: string | null } | null;
  taskId: string;
  step: string;
  meaning: Meaning;
  signer: { username: string; printedName: string };
  reachedAt: string;
  signedAt: string;
  leadSeconds: number;
}

export interface ReviewLeadTimeFilter {
  /** Only reviews signed at or after this instant. */
  since?: string;
  /** Only reviews signed before this instant. */
  until?: string;
  /** Only records of this template. */
  template?: string;
  limit?: number;
}

export interface ReviewLeadTimes {
  items: ReviewLeadTime[];
  count: number;
  /** The median of the lead times listed, in seconds; null when none. */
  medianSeconds: number | null;
}

function instant(value: string | undefined, pointer: string): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw new InputError(`${pointer.slice(1)} is not a date and time`, [
      { pointer, keyword: 'format', message: 'must be a date and time' },
    ]);
  }
  return at;
}

/** The lead times of review steps, newest signature first: for the dashboards of review by exception. */
export function createReviewLeadTimes({ knex }: { knex: Knex }) {
  return async function reviewLeadTimes(
    principal: Principal,
    filter: ReviewLeadTimeFilter = {},
  ): Promise<ReviewLeadTimes> {
    requirePermission(principal, 'audit.read');
    const since = instant(filter.since, '/since');
    const until = instant(filter.until, '/until');
    const q = knex('signatures as s')
      .join('tasks as t', 't.id', 's.task_id')
      .joinRaw(`LEFT JOIN LATERAL (${TREE_ROOT.replace('?', 't.instance_id')}) AS root ON true`)
      .leftJoin('records as r', 'r.instance_id', 'root.id')
      .leftJoin('template_versions as tv', 'tv.id', 'r.template_version_id')
      .whereIn('s.meaning', REVIEW_MEANINGS)
      .whereNull('s.withdrawn_at')
      .where('t.status', 'completed')
      .select(
        's.task_id',
        's.meaning',
        's.signer_username',
        's.signer_name',
        's.signed_at',
        't.created_at as reached_at',
        't.name',
        't.element_id',
        'r.id as record_id',
        'r.number as record_number',
        'tv.template_id',
      )
      .orderBy('s.signed_at', 'desc')
      .orderBy('s.id')
      .limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    if (since) q.where('s.signed_at', '>=', since);
    if (until) q.where('s.signed_at', '<', until);
    if (filter.template) q.where('tv.template_id', filter.template);
    const rows = (await q) as {
      task_id: string;
      meaning: Meaning;
      signer_username: string;
      signer_name: string;
      signed_at: Date;
      reached_at: Date;
      name: string | null;
      element_id: string;
      record_id: string | null;
      record_number: string | null;
      template_id: string | null;
    }[];
    const items = rows.map((r) => ({
      record: r.record_id ? { id: r.record_id, number: r.record_number!, templateId: r.template_id } : null,
      taskId: r.task_id,
      step: r.name ?? r.element_id,
      meaning: r.meaning,
      signer: { username: r.signer_username, printedName: r.signer_name },
      reachedAt: r.reached_at.toISOString(),
      signedAt: r.signed_at.toISOString(),
      leadSeconds: Math.max(0, Math.round((r.signed_at.getTime() - r.reached_at.getTime()) / 1000)),
    }));
    const sorted = items.map((i) => i.leadSeconds).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const medianSeconds =
      sorted.length === 0 ? null : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { items, count: items.length, medianSeconds };
  };
}

export type ReviewLeadTimeQuery = ReturnType<typeof createReviewLeadTimes>;
