import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';
import { userRepository } from './userRepository.ts';

type Db = Knex | Knex.Transaction;

/** What a signature of a change to a user covers: who they are, whether active, and their roles. */
export async function userSignedContent(db: Db, id: string): Promise<SignedContent> {
  const u = await userRepository.findById(db, id);
  if (!u) throw new NotFoundError(`There is no user ${id} to sign`);
  const roles = await userRepository.rolesOf(db, id);
  return {
    content: { id: u.id, username: u.username, printedName: u.printed_name, active: u.active, roles },
    version: u.version,
    authorId: null,
  };
}

/** What a signature of a change to a role covers: its name, title, description and permissions. */
export async function roleSignedContent(db: Db, id: string): Promise<SignedContent> {
  const r = await userRepository.findRoleById(db, id);
  if (!r) throw new NotFoundError(`There is no role ${id} to sign`);
  const { name, title, description, permissions } = r;
  return { content: { name, title, description, permissions }, version: r.version, authorId: null };
}
