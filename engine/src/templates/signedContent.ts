import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';

/** What an approver signs of a template version: exactly this package, by its hash, and what it says it is. */
export async function templateSignedContent(db: Knex | Knex.Transaction, id: string): Promise<SignedContent> {
  const t = await db('template_versions').where({ id }).first();
  if (!t) throw new NotFoundError(`There is no template ${id} to sign`);
  const { template_id, version, content_hash, manifest } = t;
  return {
    content: { templateId: template_id, version, contentHash: content_hash, manifest },
    version: 1,
    authorId: t.created_by,
  };
}
