import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';

/**
 * What a signature on a plugin covers: the package as found (name, version, hash, kind, entry) and
 * what is enabled of it — so enabling signs the exact version and hash that may be loaded (G2),
 * and a later change of the package or of what is enabled shows as content changed since.
 */
export async function pluginSignedContent(db: Knex | Knex.Transaction, id: string): Promise<SignedContent> {
  const row = await db('plugins').where({ id }).first();
  if (!row) throw new NotFoundError(`There is no plugin ${id} to sign`);
  return pluginContent(db, row);
}

/** The signed content of a plugin row as given (the row as an act is about to leave it). */
export async function pluginContent(
  db: Knex | Knex.Transaction,
  row: {
    id: string;
    name: string;
    version: string;
    sha256: string;
    kind: string | null;
    api_version: number | null;
    entry: string | null;
    enabled_version: string | null;
    enabled_sha256: string | null;
  },
): Promise<SignedContent> {
  const events = await db('events').where({ record_id: row.id }).count({ n: '*' });
  return {
    content: {
      name: row.name,
      version: row.version,
      sha256: row.sha256,
      kind: row.kind,
      apiVersion: row.api_version,
      entry: row.entry,
      enabled:
        row.enabled_sha256 === null ? null : { version: row.enabled_version, sha256: row.enabled_sha256 },
    },
    version: Number(events[0]?.n ?? 0),
    authorId: null,
  };
}
