import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_USERS, openDatabase, type DatabaseOptions } from '@attest/engine';
import { createTestDatabase } from '../../engine/test/support/testEngine.ts';

const run = promisify(execFile);
const BIN = new URL('../bin/attest.js', import.meta.url).pathname;

async function attest(args: string[], env: Record<string, string | undefined>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('Feature: the attest command', () => {
  let options: DatabaseOptions;
  let env: Record<string, string | undefined>;
  let cleanup: () => Promise<void>;

  before(async () => {
    if (process.env.DATABASE_URL) {
      const db = await createTestDatabase();
      options = db.options;
      env = { DATABASE_URL: db.options.url };
      cleanup = db.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'attest-cli-'));
      options = { dataDir: dir };
      env = { DATABASE_URL: '', ATTEST_DATA_DIR: dir, INIT_CWD: dir };
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  after(() => cleanup());

  it('migrates, seeds the demo users and verifies an intact audit trail', async () => {
    const migrate = await attest(['migrate'], env);
    assert.equal(migrate.code, 0, migrate.stderr);
    const seed = await attest(['seed-demo'], env);
    assert.equal(seed.code, 0, seed.stderr);
    assert.match(seed.stdout, /must be changed at the first login/);
    for (const u of DEMO_USERS) assert.ok(seed.stdout.includes(u.username));
    const verify = await attest(['verify'], env);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /OK: every hash chain is intact/);
  });

  it('C3: verify exits non-zero naming the first broken record and sequence after an edit around the trigger', async () => {
    const owner = await openDatabase({ ...options, owner: true, migrate: false });
    let recordId: string;
    try {
      const row = await owner
        .knex('events')
        .where({ type: 'user.created' })
        .orderBy('record_id')
        .first('record_id');
      recordId = row.record_id;
      await owner.knex.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
      await owner.knex.raw(`UPDATE events SET actor_name = 'Somebody Else' WHERE record_id = ? AND seq = 1`, [
        recordId,
      ]);
      await owner.knex.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    } finally {
      await owner.close();
    }
    const verify = await attest(['verify'], env);
    assert.equal(verify.code, 1);
    assert.match(
      verify.stdout,
      new RegExp(`BROKEN: user ${recordId} at seq 1: content does not match its hash`),
    );
  });

  it('answers bad usage with one clear line and a non-zero exit', async () => {
    for (const [args, message] of [
      [['frobnicate'], /^attest: unknown command "frobnicate" \(see attest --help\)\n$/],
      [['start', '--port', 'abc'], /^attest: --port must be a whole number from 0 to 65535, not "abc"/],
      [['create-admin'], /^attest: create-admin needs --username and --name/],
      [['create-admin', '--username', 'ada', '--name', '   '], /^attest: printedName must not be empty\n$/],
    ] as const) {
      const r = await attest([...args], env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    const badUrl = await attest(['verify'], { ...env, DATABASE_URL: 'mysql://x' });
    assert.equal(badUrl.stderr, 'attest: DATABASE_URL must be a postgres:// or postgresql:// URL\n');
  });
});
