import type { Knex } from 'knex';
import { eventHash, GENESIS_HASH } from './eventHash.ts';
import { eventRepository } from './eventRepository.ts';
import { LEDGER_SUBJECT, type AuditEvent } from './types.ts';

export interface ChainBreak {
  recordId: string;
  recordType: string;
  seq: number;
  problem: string;
}

export interface ChainReport {
  events: number;
  records: number;
  breaks: ChainBreak[];
}

interface SealedHead {
  seq: number;
  hash: string;
}

const MAX_BREAKS = 100;

/**
 * Recomputes every record's hash chain in (record, seq) order: sequence without gaps from 1, each
 * event pointing at its predecessor's hash, each hash matching its content. The ledger (whose id
 * sorts first) contributes the record heads it sealed; a sealed head that is missing or different
 * shows events removed or rewritten at the end of a chain, which a chain alone cannot show.
 */
export async function verifyChains(knex: Knex, pageSize = 5000): Promise<ChainReport> {
  const report: ChainReport = { events: 0, records: 0, breaks: [] };
  const sealed = new Map<string, SealedHead[]>();
  let current: { recordId: string; recordType: string; seq: number; hash: string } | null = null;

  const fail = (e: { recordId: string; recordType: string; seq: number }, problem: string) => {
    if (report.breaks.length < MAX_BREAKS) {
      report.breaks.push({ recordId: e.recordId, recordType: e.recordType, seq: e.seq, problem });
    }
  };

  const closeRecord = () => {
    if (!current) return;
    for (const head of sealed.get(current.recordId) ?? []) {
      if (head.seq > current.seq) {
        fail(current, `events after seq ${current.seq} are missing: seq ${head.seq} was sealed`);
      }
    }
    sealed.delete(current.recordId);
  };

  const visit = (e: AuditEvent) => {
    report.events += 1;
    if (!current || current.recordId !== e.recordId) {
      closeRecord();
      report.records += 1;
      current = { recordId: e.recordId, recordType: e.recordType, seq: 0, hash: GENESIS_HASH };
    }
    if (e.seq !== current.seq + 1) fail(e, `sequence jumps from ${current.seq} to ${e.seq}`);
    else if (e.prevHash !== current.hash) fail(e, 'previous hash does not match the preceding event');
    else if (eventHash(e) !== e.hash) fail(e, 'content does not match its hash');
    for (const head of sealed.get(e.recordId) ?? []) {
      if (head.seq === e.seq && head.hash !== e.hash) fail(e, 'differs from the sealed head of the ledger');
    }
    if (e.recordId === LEDGER_SUBJECT.id && e.type === 'ledger.sealed') {
      for (const [recordId, seq, hash] of (e.payload.heads ?? []) as [string, number, string][]) {
        const list = sealed.get(recordId) ?? [];
        list.push({ seq, hash });
        sealed.set(recordId, list);
      }
    }
    current.seq = e.seq;
    current.hash = e.hash;
  };

  let page = await eventRepository.page(knex, null, pageSize);
  while (page.length > 0) {
    const last = page[page.length - 1] as AuditEvent;
    // Fetch the next page while this one is hashed: the database and the hashing overlap.
    const next = page.length === pageSize ? eventRepository.page(knex, last, pageSize) : Promise.resolve([]);
    for (const e of page) visit(e);
    page = await next;
  }
  closeRecord();
  for (const [recordId, heads] of sealed) {
    const top = Math.max(...heads.map((h) => h.seq));
    fail({ recordId, recordType: 'unknown', seq: 1 }, `the whole chain is missing: seq ${top} was sealed`);
  }
  return report;
}
