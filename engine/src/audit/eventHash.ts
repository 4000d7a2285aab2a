import { canonicalize, sha256Hex } from '../kernel/canonicalJson.ts';
import type { AuditEvent } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

type HashedFields = Omit<AuditEvent, 'id' | 'hash' | 'seq' | 'prevHash'>;

/**
 * The canonical JSON (RFC 8785) of an event, split around its sequence number. The members sort
 * as actorId, actorName, at, payload, reason, recordId, recordType, seq, type, so the text is
 * `before + seq + after`: the database can number and hash an event in the same statement that
 * inserts it, over exactly the bytes verification recomputes here.
 */
export function canonicalEventParts(e: HashedFields): { before: string; after: string; payload: string } {
  const payload = canonicalize(e.payload);
  const before =
    `{"actorId":${canonicalize(e.actorId)},"actorName":${canonicalize(e.actorName)},"at":${canonicalize(e.at)},` +
    `"payload":${payload},"reason":${canonicalize(e.reason)},"recordId":${canonicalize(e.recordId)},` +
    `"recordType":${canonicalize(e.recordType)},"seq":`;
  return { before, after: `,"type":${canonicalize(e.type)}}`, payload };
}

/**
 * The hash of an event: SHA-256 over the canonical JSON of everything the event says, followed by
 * the previous event's hash. Changing any field, or the order, breaks the chain.
 */
export function eventHash(event: Omit<AuditEvent, 'id' | 'hash'>): string {
  const { before, after } = canonicalEventParts(event);
  return sha256Hex(`${before}${event.seq}${after}${event.prevHash}`);
}
