import type { Knex } from 'knex';
import {
  canonicalize,
  eventHash,
  GENESIS_HASH,
  LEDGER_SUBJECT,
  type AuditEvent,
  type Engine,
  type Principal,
} from '../../src/index.ts';
import { toEvent } from '../../src/audit/eventRepository.ts';
import { packageFiles } from '../../src/templates/package.ts';
import { fixturePackage } from '../templates/fixturePackage.ts';
import { demoPassword, type TestContext } from '../support/testEngine.ts';

/** What the checkpoint tests do to a database, whatever sink holds the checkpoints. */

/** Runs `sql` as the database owner with the append-only triggers and foreign keys switched off. */
export async function tamper(ctx: TestContext, fn: (db: Knex.Transaction) => Promise<void>): Promise<void> {
  await ctx.asOwner((db) =>
    (db.isTransaction ? fn(db as Knex.Transaction) : db.transaction(fn)).then(() => undefined),
  );
}

export async function withReplicationRole(db: Knex.Transaction, fn: () => Promise<void>) {
  await db.raw('SET LOCAL session_replication_role = replica');
  await fn();
}

/** What the database owner does to rewrite an event unnoticed by the chains: recompute every hash after it. */
export async function rehashFrom(db: Knex.Transaction, recordId: string, fromSeq: number) {
  const { rows } = await db.raw('SELECT * FROM events WHERE record_id = ? ORDER BY seq', [recordId]);
  let prev = GENESIS_HASH;
  for (const row of rows as Parameters<typeof toEvent>[0][]) {
    const e = toEvent(row);
    if (e.seq >= fromSeq) {
      const hash = eventHash({ ...e, prevHash: prev });
      await db.raw('UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?', [prev, hash, e.id]);
      prev = hash;
    } else prev = e.hash;
  }
}

/** Seals recomputed over the chains as they now are, as an owner covering the rewrite would. */
export async function reseal(db: Knex.Transaction) {
  const seals = (await db.raw('SELECT * FROM events WHERE record_id = ? ORDER BY seq', [LEDGER_SUBJECT.id]))
    .rows as Parameters<typeof toEvent>[0][];
  for (const row of seals) {
    const e: AuditEvent = toEvent(row);
    if (e.type !== 'ledger.sealed') continue;
    const heads = [];
    for (const [id] of e.payload.heads as [string, number, string][]) {
      const { rows } = await db.raw(
        'SELECT seq, hash FROM events WHERE record_id = ? ORDER BY seq DESC LIMIT 1',
        [id],
      );
      heads.push([id, rows[0].seq, rows[0].hash.trim()]);
    }
    await db.raw('UPDATE events SET payload = ?::jsonb WHERE id = ?', [canonicalize({ heads }), e.id]);
  }
  await rehashFrom(db, LEDGER_SUBJECT.id, 1);
}

/** The deviation template imported by `author`, approved by petra and made effective. */
export async function makeDeviationEffective(engine: Engine, author: Principal, petra: Principal) {
  const pkg = fixturePackage();
  const sample = {
    ...pkg,
    manifest: { ...pkg.manifest, roles: ['operator', 'qa'], qualifications: {} },
    process: pkg.process.replace('attest:candidateRoles="author"', 'attest:candidateRoles="operator"'),
  };
  await engine.templates.import(author, { files: packageFiles(sample) });
  await engine.templates.submit(author, 'deviation', '1.0.0');
  await engine.templates.approve(petra, 'deviation', '1.0.0', { password: demoPassword('petra') });
  await engine.templates.makeEffective(author, 'deviation', '1.0.0');
}

/** A batch record weighed and re-weighed three times with reasons: a chain of four events. */
export async function weighRepeatedly(engine: Engine, operator: Principal) {
  const record = await engine.records.create(operator, {
    kind: 'batch',
    title: 'Batch 7',
    content: { w: 1 },
  });
  for (let version = 1; version <= 3; version++) {
    await engine.records.update(operator, record.id, {
      version,
      changes: [{ path: '/w', value: version + 1 }],
      reason: 'Re-weighed',
    });
  }
  return record;
}

/**
 * The database owner's rewrite of the second weighing (to 7) with every hash after it recomputed
 * and the ledger re-sealed: the chains and the seals agree with each other again.
 */
export async function rewriteWeighing(ctx: TestContext, recordId: string) {
  await tamper(ctx, async (db) => {
    await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
    await db.raw(
      `UPDATE events SET payload = jsonb_set(payload, '{changes,0,new}', '7') WHERE record_id = ? AND seq = 2`,
      [recordId],
    );
    await db.raw(`UPDATE records SET content = '{"w":7}'::jsonb WHERE id = ?`, [recordId]);
    await rehashFrom(db, recordId, 2);
    await reseal(db);
    await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
  });
}
