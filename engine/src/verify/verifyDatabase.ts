import type { Knex } from 'knex';
import { processRepository } from '../bpmn/service/processRepository.ts';
import { checkState, type StateFinding } from './stateChecks.ts';
import type { CheckpointReport, CheckpointService } from '../audit/checkpoints.ts';
import { verifyChains, type ChainBreak } from '../audit/verify.ts';

export interface VerifyReport {
  ok: boolean;
  events: number;
  records: number;
  seconds: number;
  eventsPerSecond: number;
  /** Broken links of the hash chains, first one first. */
  breaks: ChainBreak[];
  /** Current state that does not match the log: the first difference of each table. */
  mismatches: StateFinding[];
  /** Rows the log cannot prove because they were written before their events carried digests. */
  unattested: StateFinding[];
  /** The chains and record count checked against the signed checkpoints outside the database; null without a sink. */
  checkpoints: CheckpointReport | null;
}

/**
 * `attest verify`: every hash chain recomputed, then the current state checked against the log it
 * follows from: every table a GMP decision reads rebuilt from its events or proven by the digests
 * they carry, and each process instance against the head of its chain.
 */
export async function verifyDatabase(
  knex: Knex,
  options: { pageSize?: number; checkpoints?: CheckpointService | null } = {},
): Promise<VerifyReport> {
  const started = process.hrtime.bigint();
  const chains = await verifyChains(knex, options.pageSize);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { mismatches, unattested } = await checkState(knex);

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
    unattested,
    checkpoints,
  };
}
