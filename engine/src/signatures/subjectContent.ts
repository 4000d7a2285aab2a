import type { Knex } from 'knex';
import type { Subject } from '../audit/types.ts';
import { NotFoundError } from '../kernel/errors.ts';
import { userRepository } from '../identity/userRepository.ts';
import { recordRepository } from '../records/recordRepository.ts';

export interface SignedContent {
  /** The canonical content a signature's hash is computed over. */
  content: Record<string, unknown>;
  version: number;
  /** Who wrote the record, for segregation of duties; null where nobody authored it. */
  authorId: string | null;
}

/**
 * What exactly is signed for each kind of subject: the whole GMP content of a record, or the
 * security-relevant content of a user or role. The same function serves signing and checking, so
 * a signature and the check of it can never disagree on what was covered.
 */
export async function loadSignedContent(
  db: Knex | Knex.Transaction,
  subject: Subject,
): Promise<SignedContent> {
  if (subject.type === 'record') {
    const r = await recordRepository.find(db, subject.id);
    if (r) {
      const { id, number, kind, title, status, content, version, createdBy } = r;
      return { content: { id, number, kind, title, status, content }, version, authorId: createdBy };
    }
  } else if (subject.type === 'user') {
    const u = await userRepository.findById(db, subject.id);
    if (u) {
      const roles = await userRepository.rolesOf(db, subject.id);
      return {
        content: { id: u.id, username: u.username, printedName: u.printed_name, active: u.active, roles },
        version: u.version,
        authorId: null,
      };
    }
  } else if (subject.type === 'template') {
    const t = await db('template_versions').where({ id: subject.id }).first();
    if (t) {
      // What an approver signs: exactly this package, by its hash, and what it says it is.
      const { template_id, version, content_hash, manifest } = t;
      return {
        content: { templateId: template_id, version, contentHash: content_hash, manifest },
        version: 1,
        authorId: t.created_by,
      };
    }
  } else if (subject.type === 'role') {
    const r = await userRepository.findRoleById(db, subject.id);
    if (r) {
      const { name, title, description, permissions } = r;
      return { content: { name, title, description, permissions }, version: r.version, authorId: null };
    }
  }
  throw new NotFoundError(`There is no ${subject.type} ${subject.id} to sign`);
}
