import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { contentHash } from '../kernel/canonicalJson.ts';
import { signatureRepository, type SignatureRow } from './signatureRepository.ts';
import type { SignedContent } from './subjectContent.ts';
import type { Meaning } from './types.ts';

export interface Signer {
  userId: string;
  username: string;
  printedName: string;
}

/**
 * Writes a signature of an already re-authenticated signer, inside the caller's transaction: the
 * hash of the content as the subject's owner read it in that transaction, the signature row and
 * the signature event in the subject's own chain. The row names the subject and the event's seq,
 * so it cannot be moved elsewhere without `attest verify` noticing.
 */
export async function writeSignature(
  trx: Knex.Transaction,
  clock: Clock,
  subject: Subject,
  signed: SignedContent,
  signer: Signer,
  meaning: Meaning,
  reason: string | null,
): Promise<SignatureRow> {
  const id = randomUUID();
  const hash = contentHash(signed.content);
  const [event] = await appendEvents(trx, clock, subject, signer, [
    {
      type: 'signature.applied',
      payload: {
        signatureId: id,
        meaning,
        contentHash: hash,
        recordVersion: signed.version,
        signer: signer.username,
      },
      reason,
    },
  ]);
  const row: SignatureRow = {
    id,
    record_id: subject.id,
    record_type: subject.type,
    event_seq: event!.seq,
    signer_id: signer.userId,
    signer_username: signer.username,
    signer_name: signer.printedName,
    meaning,
    reason,
    signed_at: new Date(event!.at),
    content_hash: hash,
    record_version: signed.version,
    withdrawn_at: null,
    withdrawn_by: null,
    withdrawal_reason: null,
  };
  await signatureRepository.insert(trx, row);
  return row;
}
