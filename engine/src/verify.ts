import type { Knex } from 'knex';
import { eventRepository } from './audit/eventRepository.ts';
import { processRepository } from './bpmn/processRepository.ts';
import type { AuditEvent, FieldChange } from './audit/types.ts';
import type { CheckpointReport, CheckpointService } from './audit/checkpoints.ts';
import { verifyChains, type ChainBreak } from './audit/verify.ts';
import { canonicalize } from './canonicalJson.ts';
import { recordRepository } from './records/recordRepository.ts';
import { applyChanges } from './records/recordService.ts';
import { signatureRepository } from './signatures/signatureRepository.ts';

export interface VerifyReport {
  ok: boolean;
  events: number;
  records: number;
  seconds: number;
  eventsPerSecond: number;
  /** Broken links of the hash chains, first one first. */
  breaks: ChainBreak[];
  /** Current state that does not match the log (signatures, records). */
  mismatches: { table: string; id: string; problem: string }[];
  /** The chains and record count checked against the signed checkpoints outside the database; null without a sink. */
  checkpoints: CheckpointReport | null;
}

/**
 * `attest verify`: every hash chain recomputed, then the current state checked against the log it
 * follows from: each signature against its signature event, each record against a replay of its
 * events, each process instance against the head of its chain.
 */
export async function verifyDatabase(
  knex: Knex,
  options: { pageSize?: number; checkpoints?: CheckpointService | null } = {},
): Promise<VerifyReport> {
  const started = process.hrtime.bigint();
  const chains = await verifyChains(knex, options.pageSize);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mismatches: VerifyReport['mismatches'] = [];

  for (const s of await signatureRepository.outOfStep(knex)) {
    mismatches.push({
      table: 'signatures',
      id: s.id,
      problem: `does not match event ${s.event_seq} of ${s.record_id}`,
    });
  }

  for (const r of await recordRepository.all(knex)) {
    const events = await eventRepository.list(knex, { recordId: r.id });
    const replay = replayRecord(events);
    if (!replay) {
      mismatches.push({ table: 'records', id: r.id, problem: 'has no record.created event' });
    } else if (
      canonicalize(replay.content) !== canonicalize(r.content) ||
      replay.status !== r.status ||
      replay.version !== r.version
    ) {
      mismatches.push({
        table: 'records',
        id: r.id,
        problem: `${r.number} differs from the replay of its audit trail`,
      });
    }
  }

  for (const t of await knex('template_versions').select(
    'id',
    'template_id',
    'version',
    'status',
    'content_hash',
  )) {
    const replay = replayTemplate(await eventRepository.list(knex, { recordId: t.id }));
    if (!replay || replay.status !== t.status || replay.contentHash !== t.content_hash) {
      mismatches.push({
        table: 'template_versions',
        id: t.id,
        problem: `${t.template_id} ${t.version} differs from the replay of its audit trail`,
      });
    }
  }

  for (const i of await processRepository.instancesOutOfStep(knex)) {
    mismatches.push({
      table: 'process_instances',
      id: i.id,
      problem: `is at version ${i.version} but its audit trail ends at ${i.seq ?? 'nothing'}`,
    });
  }

  const checkpoints = options.checkpoints ? await options.checkpoints.check(knex) : null;

  return {
    ok: chains.breaks.length === 0 && mismatches.length === 0 && !checkpoints?.problems.length,
    events: chains.events,
    records: chains.records,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(chains.events / seconds) : chains.events,
    breaks: chains.breaks,
    mismatches,
    checkpoints,
  };
}

function replayRecord(
  events: AuditEvent[],
): { content: Record<string, unknown>; status: string; version: number } | null {
  const created = events.find((e) => e.type === 'record.created');
  if (!created) return null;
  let content = created.payload.content as Record<string, unknown>;
  let status = created.payload.status as string;
  let version = 1;
  for (const e of events) {
    if (e.type === 'record.updated') {
      content = applyChanges(content, e.payload.changes as FieldChange[]);
      version += 1;
    } else if (e.type === 'record.voided') {
      status = 'voided';
      version += 1;
    }
  }
  return { content, status, version };
}

/** A template version's status and content as its events tell them. */
function replayTemplate(events: AuditEvent[]): { status: string; contentHash: string } | null {
  const imported = events.find((e) => e.type === 'template.imported');
  if (!imported) return null;
  let status = imported.payload.status as string;
  let contentHash = imported.payload.contentHash as string;
  for (const e of events) {
    for (const change of (e.payload.changes as FieldChange[] | undefined) ?? []) {
      if (change.path === '/status') status = change.new as string;
      if (change.path === '/contentHash' && e.type === 'template.revised') contentHash = change.new as string;
    }
  }
  return { status, contentHash };
}
