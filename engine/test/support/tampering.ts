import type { Knex } from 'knex';
import { verifyDatabase, type VerifyReport } from '../../src/verify/verifyDatabase.ts';
import type { TestContext } from './testEngine.ts';

const ROLLED_BACK = new Error('rolled back');

/**
 * Tampers as the database owner inside a transaction, verifies what that transaction sees and
 * rolls it back: each attack starts from the same untouched database.
 */
export async function verifyTampered(
  ctx: TestContext,
  tamper: (db: Knex.Transaction) => Promise<unknown>,
): Promise<VerifyReport> {
  let report: VerifyReport | undefined;
  await ctx
    .asOwner((db) =>
      (db as Knex).transaction(async (trx) => {
        await tamper(trx);
        report = await verifyDatabase(trx as unknown as Knex);
        throw ROLLED_BACK;
      }),
    )
    .catch((error: unknown) => {
      if (error !== ROLLED_BACK) throw error;
    });
  return report!;
}
