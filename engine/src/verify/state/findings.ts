import type { Knex } from 'knex';
import { canonicalize } from '../../kernel/canonicalJson.ts';
import { toEvent } from '../../audit/eventRepository.ts';
import type { AuditEvent, FieldChange, SubjectType } from '../../audit/types.ts';

/** A row of current state that its audit trail does not prove: which table, which row, what differs. */
export interface StateFinding {
  table: string;
  id: string;
  problem: string;
}

/**
 * What the state checks found. Per table only the first difference is kept (rows in a stable
 * order) with a count of the others, so a report names where to look without listing a whole
 * table; rows the trail cannot prove because their events predate the digests are listed apart.
 */
export class Findings {
  private readonly first = new Map<string, StateFinding>();
  private readonly more = new Map<string, number>();
  private readonly unproven = new Map<string, StateFinding>();
  private readonly unprovenMore = new Map<string, number>();

  differs(table: string, id: string, problem: string): void {
    if (this.first.has(table)) this.more.set(table, (this.more.get(table) ?? 0) + 1);
    else this.first.set(table, { table, id, problem });
  }

  /** A row (or column) written before its events carried what proves it. */
  unattested(table: string, id: string, problem: string): void {
    if (this.unproven.has(table)) this.unprovenMore.set(table, (this.unprovenMore.get(table) ?? 0) + 1);
    else this.unproven.set(table, { table, id, problem });
  }

  mismatches(): StateFinding[] {
    return [...this.first.values()].map((f) => withMore(f, this.more.get(f.table), 'differ'));
  }

  unattestedRows(): StateFinding[] {
    return [...this.unproven.values()].map((f) =>
      withMore(f, this.unprovenMore.get(f.table), 'are not attested either'),
    );
  }
}

function withMore(f: StateFinding, more: number | undefined, what: string): StateFinding {
  return more ? { ...f, problem: `${f.problem} (and ${more} more rows of ${f.table} ${what})` } : f;
}

/** Equality of JSON values as the trail states them: member order and `undefined` members do not count. */
export const same = (a: unknown, b: unknown): boolean =>
  canonicalize(JSON.parse(JSON.stringify(a ?? null)) as unknown) ===
  canonicalize(JSON.parse(JSON.stringify(b ?? null)) as unknown);

/** A timestamp as the trail states it (ISO 8601, UTC, milliseconds), or null. */
export const iso = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : new Date(value).toISOString();

export const changesOf = (e: AuditEvent): FieldChange[] =>
  Array.isArray(e.payload.changes) ? (e.payload.changes as FieldChange[]) : [];

/**
 * The events of some subject types, each chain in its order, grouped by subject: what a replay
 * reads. `types` narrows them to the event types the replay needs.
 */
export async function chainsOf(
  knex: Knex,
  subjectTypes: SubjectType[],
  /** Narrows the events read: the builder given, with its conditions added. */
  where?: ((q: Knex.QueryBuilder) => Knex.QueryBuilder) | null,
  /** Only the chains of rows of this table (by its `id`, or the column named): events of nothing stored are not read. */
  table?: string | { table: string; column: string },
): Promise<Map<string, AuditEvent[]>> {
  const q = knex('events')
    .select('id', 'record_id', 'record_type', 'seq', 'type', 'actor_id', 'actor_name', 'at', 'payload')
    .select('reason', 'prev_hash', 'hash')
    .whereIn('record_type', subjectTypes)
    .orderBy([{ column: 'record_id' }, { column: 'seq' }]);
  if (where) {
    q.where((w) => {
      where(w);
    });
  }
  // The ids first: their chains are then read through the (record_id, seq) key, not by a scan.
  if (table) {
    const { table: name, column } = typeof table === 'string' ? { table, column: 'id' } : table;
    const ids = (await knex(name).distinct(column).pluck(column)) as string[];
    q.whereRaw('record_id = ANY(?::uuid[])', [ids]);
  }
  const chains = new Map<string, AuditEvent[]>();
  for (const row of await q) {
    const e = toEvent(row);
    const chain = chains.get(e.recordId);
    if (chain) chain.push(e);
    else chains.set(e.recordId, [e]);
  }
  return chains;
}

/** The first column of `columns` whose stored value differs from the replayed one, or null. */
export function firstDifference(
  columns: [column: string, stored: unknown, replayed: unknown][],
): string | null {
  for (const [column, stored, replayed] of columns) {
    if (replayed === undefined) continue;
    if (!same(stored, replayed)) return column;
  }
  return null;
}
