import type { Knex } from 'knex';
import type { Subject } from '../audit/types.ts';

/**
 * What exactly is signed of a subject: the whole GMP content of a record, the security-relevant
 * content of a user or role, the package of a template version. The folder owning each kind of
 * subject reads it, with one function that serves both signing and checking, so a signature and
 * the check of it can never disagree on what was covered.
 */
export interface SignedContent {
  /** The canonical content a signature's hash is computed over. */
  content: Record<string, unknown>;
  version: number;
  /** Who wrote the record, for segregation of duties; null where nobody authored it. */
  authorId: string | null;
}

/** Reads what a signature of a subject covers as it is now; refuses a subject that does not exist. */
export type SignedContentReader = (db: Knex | Knex.Transaction, subject: Subject) => Promise<SignedContent>;
