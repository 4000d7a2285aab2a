import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  checkpointKey,
  createEngine,
  directorySink,
  generateCheckpointKeyPem,
  type Engine,
} from '@attest/engine';
import {
  loginAs,
  startTestEngine,
  TEST_SETTINGS,
  type TestContext,
} from '../../../engine/test/support/testEngine.ts';
import { startServer } from '../../src/server.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

describe('Feature: signed checkpoints over HTTP and from the running server', () => {
  let ctx: TestContext;
  let engine: Engine;
  let api: TestApi;
  let sinkDir: string;

  before(async () => {
    ctx = await startTestEngine();
    sinkDir = mkdtempSync(join(tmpdir(), 'attest-sink-'));
    engine = createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: TEST_SETTINGS,
      checkpoints: { key: checkpointKey(generateCheckpointKeyPem()), sink: directorySink(sinkDir) },
    });
    api = await startTestApi({ ctx: { ...ctx, engine } });
  });
  after(async () => {
    await api.close();
    await ctx.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  const files = () => readdirSync(sinkDir).filter((n) => /^checkpoint-\d+\.json$/.test(n));

  it('C3: publishes the public key that verifies the checkpoints, to anyone', async () => {
    const response = await api.request('GET', '/api/audit/checkpoint-key');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/x-pem-file/);
    assert.equal(response.text, engine.checkpoints!.key.publicPem);
    assert.match(response.text, /^-----BEGIN PUBLIC KEY-----/);
  });

  it('C3: an administrator signs a checkpoint on demand; nobody else may; one that would certify tampering is refused', async () => {
    assertProblem(
      await api.request('POST', '/api/audit/checkpoints', { token: await api.login('quinn') }),
      403,
      'not-allowed',
    );
    const admin = await api.login('adrian');
    const first = await api.request('POST', '/api/audit/checkpoints', { token: admin });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.written, true);
    assert.equal(first.body.seq, 1);
    const user = (await engine.database.knex('users').where({ username: 'oscar' }).first('id')).id as string;
    await ctx.asOwner(async (db) => {
      await db.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await db.raw('DELETE FROM events WHERE record_id = ?', [user]);
      await db.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    });
    const refused = assertProblem(
      await api.request('POST', '/api/audit/checkpoints', { token: admin }),
      409,
      'conflict',
    );
    assert.match(refused.detail, new RegExp(`no checkpoint taken: .*${user}: erased`));
    assert.equal(files().length, 1);
  });
});

describe('Feature: the running server takes checkpoints', () => {
  let ctx: TestContext;
  let sinkDir: string;
  before(async () => {
    ctx = await startTestEngine();
    sinkDir = mkdtempSync(join(tmpdir(), 'attest-sink-'));
  });
  after(async () => {
    await ctx.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  it('C3: every interval while something changed, and a last one at shutdown', async () => {
    const engine = createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: TEST_SETTINGS,
      checkpoints: { key: checkpointKey(generateCheckpointKeyPem()), sink: directorySink(sinkDir) },
    });
    const server = await startServer({
      engine,
      port: 0,
      host: '127.0.0.1',
      jwtSecret: randomBytes(32).toString('hex'),
      logger: pino({ level: 'silent' }),
      checkpointIntervalMs: 50,
    });
    const count = () => readdirSync(sinkDir).filter((n) => /^checkpoint-\d+\.json$/.test(n)).length;
    for (let i = 0; i < 100 && count() === 0; i++) await sleep(20);
    assert.equal(count(), 1);
    await sleep(200);
    assert.equal(count(), 1, 'nothing changed: no new checkpoint');
    const olivia = await loginAs(engine, 'olivia');
    await engine.records.create(olivia, { kind: 'batch', title: 'At shutdown', content: {} });
    await server.close();
    assert.ok(count() >= 2);
    const report = await engine.verify();
    assert.equal(report.ok, true);
    assert.equal(report.checkpoints!.latest!.counts.records, 1);
  });
});
