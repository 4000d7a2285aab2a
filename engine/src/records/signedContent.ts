import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';
import { recordRepository } from './recordRepository.ts';

/** What a signature on a record covers: its whole GMP content, and who wrote it. */
export async function recordSignedContent(db: Knex | Knex.Transaction, id: string): Promise<SignedContent> {
  const r = await recordRepository.find(db, id);
  if (!r) throw new NotFoundError(`There is no record ${id} to sign`);
  const { number, kind, title, status, content, version, createdBy } = r;
  return { content: { id, number, kind, title, status, content }, version, authorId: createdBy };
}
