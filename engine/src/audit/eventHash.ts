import { canonicalize, sha256Hex } from '../canonicalJson.ts';
import type { AuditEvent } from './types.ts';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash of an event: SHA-256 over the RFC 8785 canonical JSON of everything the event says,
 * followed by the previous event's hash. Changing any field, or the order, breaks the chain.
 */
export function eventHash(event: Omit<AuditEvent, 'id' | 'hash'>): string {
  const body = canonicalize({
    recordId: event.recordId,
    recordType: event.recordType,
    seq: event.seq,
    type: event.type,
    actorId: event.actorId,
    actorName: event.actorName,
    at: event.at,
    payload: event.payload,
    reason: event.reason,
  });
  return sha256Hex(body + event.prevHash);
}
