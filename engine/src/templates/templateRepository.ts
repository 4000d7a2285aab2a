import type { Knex } from 'knex';
import type { TemplateManifest } from './package.ts';

type Db = Knex | Knex.Transaction;

export const TEMPLATE_STATUSES = [
  'draft',
  'in_review',
  'approved',
  'effective',
  'superseded',
  'retired',
] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export interface TemplateVersionRow {
  id: string;
  template_id: string;
  version: string;
  major: number;
  minor: number;
  patch: number;
  kind: string;
  title: string;
  manifest: TemplateManifest;
  /** The package files as imported, by path, as text. */
  files: Record<string, string>;
  content_hash: string;
  /** Whether the package passed every check of an import when it was last saved. */
  compiles: boolean;
  status: TemplateStatus;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  effective_at: Date | null;
  definition_id: string | null;
}

const ORDER = ['template_id', 'major', 'minor', 'patch'] as const;

export const templateRepository = {
  async find(db: Db, templateId: string, version: string): Promise<TemplateVersionRow | undefined> {
    return (await db('template_versions').where({ template_id: templateId, version }).first()) as
      TemplateVersionRow | undefined;
  },

  async findById(db: Db, id: string): Promise<TemplateVersionRow | undefined> {
    return (await db('template_versions').where({ id }).first()) as TemplateVersionRow | undefined;
  },

  async effective(db: Db, templateId: string): Promise<TemplateVersionRow | undefined> {
    return (await db('template_versions').where({ template_id: templateId, status: 'effective' }).first()) as
      TemplateVersionRow | undefined;
  },

  /** Whether any version of a template was ever deployed: its process then starts only as a record. */
  async deployedKey(db: Db, templateId: string): Promise<boolean> {
    const row = await db('template_versions')
      .where({ template_id: templateId })
      .whereNotNull('definition_id')
      .first('id');
    return row !== undefined;
  },

  async list(
    db: Db,
    filter: { templateId?: string; status?: TemplateStatus },
  ): Promise<TemplateVersionRow[]> {
    const q = db('template_versions').orderBy(ORDER.map((column) => ({ column })));
    if (filter.templateId) q.where({ template_id: filter.templateId });
    if (filter.status) q.where({ status: filter.status });
    return (await q) as TemplateVersionRow[];
  },

  async insert(db: Db, row: TemplateVersionRow): Promise<void> {
    await db('template_versions').insert({
      ...row,
      manifest: JSON.stringify(row.manifest),
      files: JSON.stringify(row.files),
    });
  },

  /** A draft's new content; only while it is still the draft that was read. */
  async revise(
    db: Db,
    row: TemplateVersionRow,
    next: Pick<
      TemplateVersionRow,
      'manifest' | 'files' | 'content_hash' | 'compiles' | 'kind' | 'title' | 'updated_at'
    >,
  ): Promise<boolean> {
    const n = await db('template_versions')
      .where({ id: row.id, status: 'draft', content_hash: row.content_hash })
      .update({ ...next, manifest: JSON.stringify(next.manifest), files: JSON.stringify(next.files) });
    return n === 1;
  },

  /**
   * Moves a version from one status to the next; false when it is no longer in `from` (or, when
   * given, no longer holds the content `contentHash`).
   */
  async transition(
    db: Db,
    id: string,
    from: TemplateStatus,
    patch: Partial<
      Pick<
        TemplateVersionRow,
        'status' | 'compiles' | 'approved_by' | 'approved_at' | 'effective_at' | 'definition_id'
      >
    > & {
      updated_at: Date;
    },
    contentHash?: string,
  ): Promise<boolean> {
    const q = db('template_versions').where({ id, status: from });
    if (contentHash !== undefined) q.where({ content_hash: contentHash });
    return (await q.update(patch)) === 1;
  },

  /** The last save of a version's content: who imported or revised it, and when. */
  async lastSave(db: Db, id: string): Promise<{ actorName: string; at: Date } | undefined> {
    const row = await db('events')
      .where({ record_id: id })
      .whereIn('type', ['template.imported', 'template.revised'])
      .orderBy('seq', 'desc')
      .first('actor_name', 'at');
    return row && { actorName: row.actor_name as string, at: row.at as Date };
  },

  /** The users who wrote a version's content: who imported it and who revised the draft since. */
  async authors(db: Db, id: string): Promise<string[]> {
    const rows = await db('events')
      .where({ record_id: id })
      .whereIn('type', ['template.imported', 'template.revised'])
      .whereNotNull('actor_id')
      .distinct('actor_id');
    return rows.map((r: { actor_id: string }) => r.actor_id);
  },
};
