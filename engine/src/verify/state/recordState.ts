import type { Knex } from 'knex';
import { packageHash } from '../../templates/package.ts';
import { applyChanges } from '../../records/recordService.ts';
import type { AuditEvent } from '../../audit/types.ts';
import { chainsOf, changesOf, firstDifference, iso, type Findings } from './findings.ts';

/** Record columns other events than `record.updated` may change, by the path they name. */
const RECORD_PATHS: Record<string, string> = {
  '/title': 'title',
  '/status': 'status',
  '/ownerId': 'owner_id',
  '/templateVersionId': 'template_version_id',
  '/instanceId': 'instance_id',
};

function replayRecord(events: AuditEvent[]): Record<string, unknown> | null {
  const created = events.find((e) => e.type === 'record.created');
  if (!created) return null;
  const p = created.payload;
  const template = p.template as { versionId?: string } | undefined;
  const record: Record<string, unknown> = {
    number: p.number,
    kind: p.kind,
    title: p.title,
    status: p.status,
    content: p.content,
    version: 1,
    created_by: created.actorId ?? undefined,
    template_version_id: template?.versionId ?? null,
    instance_id: p.instanceId ?? null,
    owner_id: p.ownerId ?? null,
    parent_id: p.parentId ?? null,
    raised_from_id: p.raisedFromId ?? null,
    due_at: p.dueAt ?? null,
  };
  for (const e of events) {
    if (e.type === 'record.updated') {
      record.content = applyChanges(record.content as Record<string, unknown>, changesOf(e));
      record.version = (record.version as number) + 1;
    } else if (e.type === 'record.voided') {
      record.status = 'voided';
      record.version = (record.version as number) + 1;
    } else if (e.type !== 'record.created') {
      for (const c of changesOf(e)) {
        if (RECORD_PATHS[c.path]) record[RECORD_PATHS[c.path]!] = c.new;
        // A record moved to another version of its template names the version it now runs.
        if (c.path === '/template') record.template_version_id = (c.new as { versionId?: string }).versionId;
      }
    }
  }
  return record;
}

/** Records against a replay of their chain: every column a person or a decision reads. */
export async function checkRecords(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['record'], (q) => q.whereLike('type', 'record.%'), 'records');
  for (const row of await knex('records').select('*').orderBy('id')) {
    const r = replayRecord(chains.get(row.id) ?? []);
    if (!r) {
      findings.differs('records', row.id, `${row.number} has no record.created event`);
      continue;
    }
    const column = firstDifference(
      (
        [
          'number',
          'kind',
          'title',
          'status',
          'content',
          'version',
          'created_by',
          'template_version_id',
          'instance_id',
          'owner_id',
          'parent_id',
          'raised_from_id',
        ] as const
      )
        .map((c): [string, unknown, unknown] => [c, row[c], r[c]])
        .concat([['due_at', iso(row.due_at), r.due_at]]),
    );
    if (column) findings.differs('records', row.id, `${row.number}: ${column} differs from its audit trail`);
  }
}

/**
 * Template versions against their chain (status, content hash, approver, effective definition),
 * and their files against the content hash: recomputed from the files as stored, the manifest
 * against the manifest file among them.
 */
export async function checkTemplateVersions(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['template'], null, 'template_versions');
  for (const row of await knex('template_versions').select('*').orderBy('id')) {
    const events = chains.get(row.id) ?? [];
    const imported = events.find((e) => e.type === 'template.imported');
    const name = `${row.template_id} ${row.version}`;
    if (!imported) {
      findings.differs('template_versions', row.id, `${name} has no template.imported event`);
      continue;
    }
    const t: Record<string, unknown> = {
      template_id: imported.payload.templateId,
      version: imported.payload.version,
      status: imported.payload.status,
      content_hash: imported.payload.contentHash,
      created_by: imported.actorId,
      approved_by: null,
      definition_id: null,
    };
    for (const e of events) {
      for (const c of changesOf(e)) {
        if (c.path === '/status') t.status = c.new;
        if (c.path === '/contentHash' && e.type === 'template.revised') t.content_hash = c.new;
      }
      if (e.type === 'template.approved') t.approved_by = e.actorId;
      if (e.type === 'template.made_effective') t.definition_id = e.payload.definitionId ?? null;
    }
    const files = row.files as Record<string, string>;
    let filesHash: string;
    try {
      filesHash = packageHash(
        Object.entries(files).map(([path, text]) => ({ path, content: Buffer.from(text, 'utf8') })),
      );
    } catch {
      filesHash = 'unreadable';
    }
    let manifest: unknown = undefined;
    try {
      if (typeof files['manifest.json'] === 'string') manifest = JSON.parse(files['manifest.json']);
    } catch {
      manifest = 'unreadable';
    }
    const column = firstDifference([
      ['template_id', row.template_id, t.template_id],
      ['version', row.version, t.version],
      ['status', row.status, t.status],
      ['content_hash', row.content_hash, t.content_hash],
      ['created_by', row.created_by, t.created_by],
      ['approved_by', row.approved_by, t.approved_by],
      ['definition_id', row.definition_id, t.definition_id],
      ['files', filesHash, row.content_hash],
      ['manifest', row.manifest, manifest],
    ]);
    if (column)
      findings.differs('template_versions', row.id, `${name}: ${column} differs from its audit trail`);
  }
}
