import { randomBytes, randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import type { Knex } from 'knex';
import pg from 'pg';
import {
  appendEvents,
  canonicalize,
  createEngine,
  eventHash,
  GENESIS_HASH,
  openDatabase,
  systemClock,
  type Engine,
  type EventActor,
  type EventDraft,
  type Subject,
} from '@attest/engine';
import { execute, serverVersion, withBenchDatabase } from './benchDatabase.ts';
import { positiveInteger, round } from './figures.ts';
import { benchCheckpoints, whileCheckpointing } from './checkpointing.ts';
import { pgbench } from './pgbench.ts';

/**
 * The audit trail benchmark. Attest appends hash-chained events, one atomic statement each, with
 * 1 and 32 concurrent writers on distinct records; pgbench inserts rows of the same shape into a
 * table of the same shape on the same server right afterwards. Then a database of a million
 * events (by default) is verified end to end.
 */

const TARGET_RATIO = 0.5;
const VERIFY_TARGET = 50_000;
const WRITERS = 32;
const EVENTS_PER_RECORD = 100;
/** Records per bulk INSERT while filling the database for verification (10,000 events). */
const LOAD_BATCH_RECORDS = 100;
/** Far more often than the runtime's default five minutes, so that their cost shows. */
const CHECKPOINT_INTERVAL_MS = 5000;

const ACTOR: EventActor = { userId: randomUUID(), printedName: 'Jane Doe (Operator)' };
const REASON = 'Balance re-zeroed after a draught; weight taken again as SOP-DSP-004 requires';

function weighing(old: number, value: number): EventDraft {
  return {
    type: 'record.updated',
    payload: { changes: [{ path: '/dispensing/weight', old, new: value }] },
    reason: REASON,
  };
}

export async function runAuditBenchmark(): Promise<Record<string, unknown>> {
  const seconds = positiveInteger('BENCH_SECONDS', 10);
  const verifyEvents = positiveInteger('BENCH_VERIFY_EVENTS', 1_000_000);

  return withBenchDatabase(async (url) => {
    console.log(
      `${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)}, ` +
        `PostgreSQL ${await serverVersion(url)}; database ${new URL(url).pathname.slice(1)}`,
    );
    const db = await openDatabase({ url, poolSize: WRITERS });
    const sink = benchCheckpoints();
    const engine = createEngine({ database: db, checkpoints: sink.options });
    try {
      await execute(url, PEER_TABLE);

      console.log(`Attest appendEvents, ${seconds} s per run`);
      const attest1 = await appendRate(db.knex, 1, seconds);
      console.log(`  1 writer:   ${attest1.toFixed(0)} events/s`);
      // Signed checkpoints are taken while the writers append, far more often than the runtime's default.
      const appending = await whileCheckpointing(
        () => engine.checkpoints!.take(),
        CHECKPOINT_INTERVAL_MS,
        () => appendRate(db.knex, WRITERS, seconds),
      );
      const attest32 = appending.result;
      console.log(
        `  ${WRITERS} writers: ${attest32.toFixed(0)} events/s, ` +
          `${appending.checkpoints} signed checkpoints taken meanwhile`,
      );

      console.log(`pgbench, one INSERT of a similar row per transaction, ${seconds} s per run`);
      const script = peerScript();
      const pgbench1 = await pgbench({ url, script, clients: 1, threads: 1, seconds });
      console.log(`  1 client:   ${pgbench1.toFixed(0)} tps`);
      const pgbench32 = await pgbench({ url, script, clients: WRITERS, threads: 2, seconds });
      console.log(`  ${WRITERS} clients: ${pgbench32.toFixed(0)} tps`);
      const ratio = round(attest32 / pgbench32, 3);
      console.log(`  Attest / pgbench at ${WRITERS}: ${ratio} (target ${TARGET_RATIO})`);

      const verify = await verifyRate(engine, url, verifyEvents);

      return {
        bench: 'audit',
        attest_events_per_s_1: round(attest1, 1),
        attest_events_per_s_32: round(attest32, 1),
        pgbench_tps_1: round(pgbench1, 1),
        pgbench_tps_32: round(pgbench32, 1),
        verify_events: verify.events,
        verify_seconds: round(verify.seconds, 3),
        verify_events_per_s: round(verify.eventsPerSecond, 0),
        checkpoints_while_appending: appending.checkpoints,
        checkpoint_seconds: round(verify.checkpointSeconds, 3),
        ratio,
        target: TARGET_RATIO,
        verify_target: VERIFY_TARGET,
        ok: ratio >= TARGET_RATIO && verify.eventsPerSecond >= VERIFY_TARGET,
      };
    } finally {
      await db.close();
      sink.remove();
    }
  });
}

/**
 * Events appended per second by `writers` concurrent writers, each on its own record. An append of
 * one event is one atomic statement (numbered, chained and hashed where it is inserted), as
 * pgbench's one-row insert is one transaction.
 */
async function appendRate(knex: Knex, writers: number, seconds: number): Promise<number> {
  const subjects: Subject[] = Array.from({ length: writers }, () => ({ id: randomUUID(), type: 'record' }));
  const append = (subject: Subject) =>
    appendEvents(knex, systemClock, subject, ACTOR, [weighing(100.02, 100.04)]);
  // One append per writer first, so every connection is open before the clock starts.
  await Promise.all(subjects.map(append));
  let events = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    subjects.map(async (subject) => {
      while (performance.now() < deadline) {
        await append(subject);
        events += 1;
      }
    }),
  );
  return events / ((performance.now() - started) / 1000);
}

/** A table of the same shape as `events`: same columns and types, unique (record_id, seq), index on `at`. */
const PEER_TABLE = `
  CREATE TABLE peer_events (LIKE events INCLUDING ALL EXCLUDING DEFAULTS);
  ALTER TABLE peer_events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;`;

/** pgbench's transaction: one INSERT of a row like the one `appendEvents` writes. */
function peerScript(): string {
  const draft = weighing(100.02, 100.04);
  const values = [
    'gen_random_uuid()',
    literal('record'),
    '1',
    literal(draft.type),
    literal(ACTOR.userId!),
    literal(ACTOR.printedName),
    'now()',
    literal(canonicalize(draft.payload)),
    literal(REASON),
    literal(randomBytes(32).toString('hex')),
    literal(randomBytes(32).toString('hex')),
  ];
  return (
    'INSERT INTO peer_events (record_id, record_type, seq, type, actor_id, actor_name, at, payload, ' +
    `reason, prev_hash, hash) VALUES (${values.join(', ')}) RETURNING id;\n`
  );
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Fills the audit trail with `total` events in correct chains, then times the whole of the engine's
 * verification, as the runtime role.
 */
async function verifyRate(
  engine: Engine,
  url: string,
  total: number,
): Promise<{ events: number; seconds: number; eventsPerSecond: number; checkpointSeconds: number }> {
  const records = Math.ceil(total / EVENTS_PER_RECORD);
  console.log(`Filling the audit trail with ${total} events in ${records} chains`);
  const loadStarted = performance.now();
  await loadChains(url, total);
  console.log(`  loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);

  // The runtime signs a checkpoint of every chain head outside the database; verify checks against it.
  const checkpointStarted = performance.now();
  await engine.checkpoints!.take();
  const checkpointSeconds = (performance.now() - checkpointStarted) / 1000;
  console.log(`  signed checkpoint of ${records} chains in ${checkpointSeconds.toFixed(2)} s`);

  console.log('Verifying the whole database, against the checkpoint');
  const started = performance.now();
  const report = await engine.verify();
  const seconds = (performance.now() - started) / 1000;
  if (!report.ok) {
    const problems = [...report.breaks, ...report.mismatches].slice(0, 5);
    throw new Error(`Verification found problems in correct chains: ${JSON.stringify(problems)}`);
  }
  const eventsPerSecond = report.events / seconds;
  console.log(
    `  ok: ${report.events} events of ${report.records} chains in ${seconds.toFixed(2)} s, ` +
      `${eventsPerSecond.toFixed(0)} events/s (target ${VERIFY_TARGET})`,
  );
  return { events: report.events, seconds, eventsPerSecond, checkpointSeconds };
}

const LOAD_SQL = `
  INSERT INTO events (record_id, record_type, seq, type, actor_id, actor_name, at, payload, reason, prev_hash, hash)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::uuid[], $6::text[],
                       $7::timestamptz[], $8::jsonb[], $9::text[], $10::text[], $11::text[])`;

/**
 * Bulk-inserts correct chains as the owner, one multi-row INSERT per batch of records, hashing the
 * next batch while the database stores the previous one.
 */
async function loadChains(url: string, total: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const records = Math.ceil(total / EVENTS_PER_RECORD);
    const start = Date.parse('2026-01-05T06:00:00.000Z');
    let pending: Promise<unknown> = Promise.resolve();
    for (let first = 0; first < records; first += LOAD_BATCH_RECORDS) {
      const columns: unknown[][] = Array.from({ length: 11 }, () => []);
      for (let r = first; r < Math.min(records, first + LOAD_BATCH_RECORDS); r += 1) {
        const recordId = randomUUID();
        let prevHash = GENESIS_HASH;
        const length = Math.min(EVENTS_PER_RECORD, total - r * EVENTS_PER_RECORD);
        for (let seq = 1; seq <= length; seq += 1) {
          const draft: EventDraft =
            seq === 1
              ? {
                  type: 'record.created',
                  payload: { content: { dispensing: { weight: 100 } }, status: 'open' },
                }
              : weighing((10_000 + seq - 2) / 100, (10_000 + seq - 1) / 100);
          const event = {
            recordId,
            recordType: 'record' as const,
            seq,
            type: draft.type,
            actorId: ACTOR.userId,
            actorName: ACTOR.printedName,
            at: new Date(start + (r * EVENTS_PER_RECORD + seq) * 1000).toISOString(),
            payload: draft.payload ?? {},
            reason: draft.reason ?? null,
            prevHash,
          };
          const hash = eventHash(event);
          const row = [
            event.recordId,
            event.recordType,
            event.seq,
            event.type,
            event.actorId,
            event.actorName,
            event.at,
            canonicalize(event.payload),
            event.reason,
            event.prevHash,
            hash,
          ];
          row.forEach((value, i) => columns[i]!.push(value));
          prevHash = hash;
        }
      }
      await pending;
      pending = client.query(LOAD_SQL, columns);
    }
    await pending;
    // A production table is vacuumed in the background; a freshly loaded one would spend the first
    // read setting hint bits.
    await client.query('VACUUM (ANALYZE) events');
  } finally {
    await client.end();
  }
}
