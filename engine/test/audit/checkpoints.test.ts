import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import {
  chmodSync,
  statSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalize,
  checkpointKey,
  createEngine,
  directorySink,
  generateCheckpointKeyPem,
  LEDGER_SUBJECT,
  type Checkpoint,
  type Engine,
  type Principal,
} from '../../src/index.ts';
import { loginAs, startTestEngine, TEST_SETTINGS, type TestContext } from '../support/testEngine.ts';
import {
  makeDeviationEffective,
  rewriteWeighing,
  tamper,
  weighRepeatedly,
  withReplicationRole,
} from './checkpointScenarios.ts';

describe('Feature: signed checkpoints of the audit trail, kept outside the database', () => {
  let ctx: TestContext;
  let engine: Engine;
  let sinkDir: string;
  let olivia: Principal;
  let quinn: Principal;
  const keyPem = generateCheckpointKeyPem();

  beforeEach(async () => {
    ctx = await startTestEngine();
    sinkDir = mkdtempSync(join(tmpdir(), 'attest-checkpoints-'));
    engine = createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: TEST_SETTINGS,
      checkpoints: { key: checkpointKey(keyPem), sink: directorySink(sinkDir) },
    });
    olivia = await loginAs(engine, 'olivia');
    quinn = await loginAs(engine, 'quinn');
    await makeDeviationEffective(engine, quinn, await loginAs(ctx.engine, 'petra'));
  });
  afterEach(async () => {
    await ctx.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  const weighing = () => weighRepeatedly(engine, olivia);
  const problems = async () => {
    const report = await engine.verify();
    assert.equal(report.ok, false, 'verify must fail');
    return report.checkpoints!.problems;
  };
  const checkpointFiles = () =>
    readdirSync(sinkDir)
      .filter((n) => /^checkpoint-\d+\.json$/.test(n))
      .sort();

  it('C3: an untampered database verifies against its checkpoints, named with their age', async () => {
    const record = await weighing();
    const first = await engine.checkpoints!.take();
    assert.equal(first.written, true);
    assert.equal(first.checkpoint.seq, 1);
    assert.equal((await engine.checkpoints!.take()).written, false, 'nothing changed: no new checkpoint');
    await engine.records.update(olivia, record.id, {
      version: 4,
      changes: [{ path: '/w', value: 9 }],
      reason: 'r',
    });
    const second = await engine.checkpoints!.take();
    assert.deepEqual(
      second.checkpoint.heads.map(([id]) => id),
      [record.id],
      'only the changed head is listed',
    );
    assert.equal(second.checkpoint.counts.events, first.checkpoint.counts.events + 1);
    ctx.clock.advance(2);
    const report = await engine.verify();
    assert.equal(report.ok, true, JSON.stringify(report.checkpoints?.problems));
    assert.deepEqual(report.checkpoints!.problems, []);
    assert.equal(report.checkpoints!.latest!.seq, 2);
    assert.ok(report.checkpoints!.latest!.ageSeconds >= 119);
    assert.deepEqual(report.checkpoints!.uncovered, { chains: 0, events: 0 });
    await engine.records.update(olivia, record.id, {
      version: 5,
      changes: [{ path: '/w', value: 10 }],
      reason: 'r',
    });
    assert.deepEqual((await engine.verify()).checkpoints!.uncovered, { chains: 1, events: 1 });
    // Files are read-only, the public key is published beside them.
    assert.deepEqual(checkpointFiles(), ['checkpoint-000000000001.json', 'checkpoint-000000000002.json']);
    assert.ok(readdirSync(sinkDir).some((n) => n.startsWith('checkpoint-key-') && n.endsWith('.pem')));
    for (const name of checkpointFiles()) assert.equal(statSync(join(sinkDir, name)).mode & 0o222, 0);
  });

  it('C3: two runtimes taking checkpoints at once never write the same number', async () => {
    await weighing();
    const other = createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: TEST_SETTINGS,
      checkpoints: { key: checkpointKey(keyPem), sink: directorySink(sinkDir) },
    });
    const taken = await Promise.all([engine.checkpoints!.take(), other.checkpoints!.take()]);
    assert.deepEqual(taken.map((t) => t.written).sort(), [false, true]);
    assert.deepEqual(
      taken.map((t) => t.checkpoint.seq),
      [1, 1],
    );
    await engine.records.create(olivia, { kind: 'batch', title: 'Next', content: {} });
    assert.equal((await other.checkpoints!.take()).checkpoint.seq, 2, 'it reads what the other one wrote');
    assert.equal((await engine.verify()).ok, true);
  });

  it('C3: an event rewritten, its chain rehashed and the ledger re-sealed is caught: the chains agree, the checkpoint does not', async () => {
    const record = await weighing();
    assert.ok(await engine.audit.seal());
    await engine.checkpoints!.take();
    await rewriteWeighing(ctx, record.id);
    const report = await engine.verify();
    assert.deepEqual(
      report.breaks,
      [],
      'the chains and the seals were recomputed: they agree with each other',
    );
    assert.equal(report.ok, false);
    const found = report.checkpoints!.problems.find((p) => p.id === record.id);
    assert.match(found!.problem, /^rewritten: event 4 of chain .* differs from checkpoint #1 recorded seq 4/);
    assert.ok(
      report.checkpoints!.problems.some((p) => p.id === LEDGER_SUBJECT.id && /rewritten/.test(p.problem)),
    );
    // And no checkpoint certifies the rewrite afterwards.
    await assert.rejects(
      engine.checkpoints!.take(),
      /no checkpoint taken: the audit trail no longer matches/,
    );
  });

  it('C3: a deleted unsealed tail is reported with the seq it was cut after', async () => {
    const record = await weighing();
    await engine.checkpoints!.take();
    await tamper(ctx, async (db) => {
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw('DELETE FROM events WHERE record_id = ? AND seq > 2', [record.id]);
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    });
    const found = (await problems()).find((p) => p.id === record.id);
    assert.equal(found!.problem, 'tail deleted after seq 2: checkpoint #1 recorded seq 4');
    assert.equal(found!.seq, 3);
  });

  it('C3: a deleted seal is reported as the ledger cut short', async () => {
    const record = await weighing();
    assert.ok(await engine.audit.seal());
    await engine.records.update(olivia, record.id, {
      version: 4,
      changes: [{ path: '/w', value: 9 }],
      reason: 'r',
    });
    const seal = await engine.audit.seal();
    await engine.checkpoints!.take();
    await tamper(ctx, async (db) => {
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw('DELETE FROM events WHERE record_id = ? AND seq = ?', [LEDGER_SUBJECT.id, seal!.seq]);
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    });
    const report = await engine.verify();
    assert.deepEqual(report.breaks, [], 'the ledger chain alone still links');
    const found = report.checkpoints!.problems.find((p) => p.id === LEDGER_SUBJECT.id);
    assert.equal(
      found!.problem,
      `tail deleted after seq ${seal!.seq - 1}: checkpoint #1 recorded seq ${seal!.seq}`,
    );
  });

  it('C3: a record erased whole (record row, process instance, every event of both) is reported erased, and the record count short', async () => {
    const record = await engine.records.start(olivia, { template: 'deviation', title: 'Cold room at 9 °C' });
    await engine.checkpoints!.take();
    await tamper(ctx, (db) =>
      withReplicationRole(db, async () => {
        await db.raw('DELETE FROM tasks WHERE instance_id = ?', [record.instanceId]);
        await db.raw('DELETE FROM records WHERE id = ?', [record.id]);
        await db.raw('DELETE FROM process_instances WHERE id = ?', [record.instanceId]);
        await db.raw('DELETE FROM events WHERE record_id IN (?, ?)', [record.id, record.instanceId]);
      }),
    );
    const report = await engine.verify();
    assert.deepEqual(report.breaks, [], 'nothing left of it for the chains to show');
    const found = report.checkpoints!.problems;
    assert.match(
      found.find((p) => p.id === record.id)!.problem,
      /^erased: chain .* is gone; checkpoint #1 recorded seq \d+/,
    );
    assert.match(found.find((p) => p.id === record.instanceId)!.problem, /^erased/);
    assert.match(
      found.find((p) => p.where === 'records')!.problem,
      /^1 of the \d+ records counted by checkpoint #1 are gone$/,
    );
  });

  it('C3: the newest checkpoint files deleted from the sink are missed by the database that recorded writing them', async () => {
    const record = await weighing();
    await engine.checkpoints!.take();
    await engine.records.update(olivia, record.id, {
      version: 4,
      changes: [{ path: '/w', value: 9 }],
      reason: 'r',
    });
    await engine.checkpoints!.take();
    unlinkSync(join(sinkDir, checkpointFiles()[1]!));
    const found = (await problems()).find((p) => p.where === 'checkpoint');
    assert.deepEqual(
      [found!.id, found!.problem],
      ['#2', 'checkpoint #2 is missing from the sink (the database recorded checkpoint #2 as written)'],
    );
  });

  it('C3: a checkpoint file deleted or edited in the middle, or one signed with another key, is reported', async () => {
    const record = await weighing();
    await engine.checkpoints!.take();
    for (let i = 0; i < 3; i++) {
      await engine.records.update(olivia, record.id, {
        version: 4 + i,
        changes: [{ path: '/w', value: 20 + i }],
        reason: 'r',
      });
      await engine.checkpoints!.take();
    }
    assert.equal((await engine.verify()).ok, true);
    const [, second, third] = checkpointFiles().map((n) => join(sinkDir, n));

    // Edited: the content no longer matches the signature.
    const original = readFileSync(third!, 'utf8');
    const edited = JSON.parse(original) as Checkpoint;
    edited.counts.records += 1;
    chmodSync(third!, 0o644);
    writeFileSync(third!, JSON.stringify(edited));
    assert.deepEqual(
      (await problems())
        .filter((p) => p.where === 'checkpoint')
        .map((p) => [p.id, p.problem])
        .slice(0, 1),
      [['#3', 'its signature does not verify: it was altered or forged']],
    );

    // Signed again, but with a key that is not the installation's.
    const other = checkpointKey(generateCheckpointKeyPem());
    const forged: Partial<Checkpoint> = { ...edited, keyId: other.keyId };
    delete forged.signature;
    writeFileSync(
      third!,
      JSON.stringify({
        ...forged,
        signature: sign(null, Buffer.from(canonicalize(forged)), other.privateKey!).toString('base64'),
      }),
    );
    assert.match((await problems()).find((p) => p.id === '#3')!.problem, /^is signed with another key/);
    writeFileSync(third!, original);

    // Deleted: the chain of checkpoints has a gap.
    unlinkSync(second!);
    assert.equal(
      (await problems()).find((p) => p.id === '#2')!.problem,
      'checkpoint #2 is missing from the sink',
    );
  });
});
