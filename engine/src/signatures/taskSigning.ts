import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EventDraft } from '../audit/types.ts';
import { contentHash } from '../kernel/canonicalJson.ts';
import { signatureRepository, type ReviewedTrail } from './signatureRepository.ts';
import type { Signer } from './signatureWriter.ts';
import type { Meaning } from './types.ts';

/** A signature that completes a task (`attest:signatureMeaning`), as the signer gave it. */
export interface TaskSigning {
  signer: Signer;
  meaning: Meaning;
  reason: string | null;
}

/** The task a signature is over, in its process instance as read: its first event is version + 1. */
export interface SignedTask {
  taskId: string;
  instanceId: string;
  instanceVersion: number;
}

/**
 * A signature over values of one task (B1, B4): its event, which takes its place among the drafts
 * of the instance's move `offset` events after the instance's head, and `afterMove`, which writes
 * its row once the event exists. The values covered are the step's to choose and read.
 */
export function signTaskValues(
  task: SignedTask,
  signing: TaskSigning,
  covered: { pointers: string[]; content: Record<string, unknown>; reviewed?: ReviewedTrail | null },
  offset: number,
): { signatureId: string; draft: EventDraft; afterMove: (trx: Knex.Transaction) => Promise<string> } {
  const hash = contentHash(covered.content);
  const signatureId = randomUUID();
  const seq = task.instanceVersion + 1 + offset;
  const { pointers } = covered;
  const reviewed = covered.reviewed ?? null;
  const draft: EventDraft = {
    type: 'signature.applied',
    payload: {
      signatureId,
      meaning: signing.meaning,
      contentHash: hash,
      recordVersion: task.instanceVersion,
      signer: signing.signer.username,
      taskId: task.taskId,
      pointers,
      ...(reviewed && { reviewed }),
    },
    reason: signing.reason,
  };
  const afterMove = (db: Knex.Transaction) =>
    writeTaskSignature(db, task, seq, { id: signatureId, signing, hash, pointers, reviewed });
  return { signatureId, draft, afterMove };
}

/** The row of a signature over values of one task, once its event is at `seq` of the instance's chain. */
export async function writeTaskSignature(
  db: Knex.Transaction,
  task: SignedTask,
  seq: number,
  signature: {
    id: string;
    signing: TaskSigning;
    hash: string;
    pointers: string[];
    reviewed?: ReviewedTrail | null;
  },
): Promise<string> {
  const event = await db('events').where({ record_id: task.instanceId, seq }).first('at', 'type');
  if (event?.type !== 'signature.applied') throw new Error('The signature event is not where it was placed');
  const { signer, meaning, reason } = signature.signing;
  await signatureRepository.insert(db, {
    id: signature.id,
    record_id: task.instanceId,
    record_type: 'instance',
    event_seq: seq,
    signer_id: signer.userId,
    signer_username: signer.username,
    signer_name: signer.printedName,
    meaning,
    reason,
    signed_at: new Date(event.at),
    content_hash: signature.hash,
    record_version: task.instanceVersion,
    withdrawn_at: null,
    withdrawn_by: null,
    withdrawal_reason: null,
    task_id: task.taskId,
    pointers: signature.pointers,
    reviewed: signature.reviewed ?? null,
  });
  return signature.id;
}
