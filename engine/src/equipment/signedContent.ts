import type { Knex } from 'knex';
import { NotFoundError } from '../kernel/errors.ts';
import type { SignedContent } from '../signatures/subjectContent.ts';
import { equipmentRows, type EquipmentFacts } from './equipmentFacts.ts';

/**
 * What a signature on a piece of equipment covers: what it is and its calibration and
 * qualification due dates — what a signed calibration or qualification states. Its cleaning and use
 * change every day and are not signed, so they do not show as a change against the signature.
 */
export function equipmentContent(
  row: Pick<EquipmentFacts, 'code' | 'name' | 'type' | 'calibrationDue' | 'qualificationDue'> & {
    version: number;
  },
): SignedContent {
  return {
    content: {
      code: row.code,
      name: row.name,
      type: row.type,
      calibrationDue: row.calibrationDue,
      qualificationDue: row.qualificationDue,
    },
    version: row.version,
    authorId: null,
  };
}

export async function equipmentSignedContent(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<SignedContent> {
  const [row] = await equipmentRows(db, { id });
  if (!row) throw new NotFoundError(`There is no equipment ${id} to sign`);
  return equipmentContent(row);
}
