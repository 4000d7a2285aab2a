import type { Knex } from 'knex';
import type { Subject } from '../audit/types.ts';
import { NotFoundError } from '../errors.ts';

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
  switch (subject.type) {
    case 'record': {
      const row = await db('records').where({ id: subject.id }).first();
      if (!row) break;
      return {
        content: {
          id: row.id,
          number: row.number,
          kind: row.kind,
          title: row.title,
          status: row.status,
          content: row.content,
        },
        version: row.version,
        authorId: row.created_by,
      };
    }
    case 'user': {
      const row = await db('users').where({ id: subject.id }).first();
      if (!row) break;
      const roles = await db('user_roles').where({ user_id: subject.id }).orderBy('role').pluck('role');
      return {
        content: {
          id: row.id,
          username: row.username,
          printedName: row.printed_name,
          active: row.active,
          roles,
        },
        version: row.version,
        authorId: null,
      };
    }
    case 'role': {
      const row = await db('roles').where({ id: subject.id }).first();
      if (!row) break;
      return {
        content: {
          name: row.name,
          title: row.title,
          description: row.description,
          permissions: row.permissions,
        },
        version: row.version,
        authorId: null,
      };
    }
    default:
      break;
  }
  throw new NotFoundError(`There is no ${subject.type} ${subject.id} to sign`);
}
