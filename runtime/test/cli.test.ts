import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DEMO_USERS, createEngine, openDatabase, type DatabaseOptions } from '@attest/engine';
import { writeTgz } from '../../engine/src/templates/tar.ts';
import { createTestDatabase, demoPassword, TEST_SETTINGS } from '../../engine/test/support/testEngine.ts';
import { testPackage, testProcess, writeTestPackage } from './http/support/templatePackage.ts';
import { attest } from './support/attestCommand.ts';

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

  it('imports a template package, a folder or a .tgz, as a user: one line, unchanged the second time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'attest-cli-templates-'));
    try {
      const dir = await writeTestPackage(root, testPackage());
      const asQuinn = (password: string, path = dir) =>
        attest(['import', path, '--user', 'quinn'], { ...env, ATTEST_PASSWORD: password });
      // seed-demo outside demo mode: the printed password must be changed first.
      const first = await asQuinn(demoPassword('quinn'));
      assert.deepEqual(
        [first.code, first.stderr, first.stdout],
        [1, 'attest: The password must be changed before anything else can be done\n', ''],
      );
      const database = await openDatabase(options);
      const engine = createEngine({ database, settings: TEST_SETTINGS });
      try {
        const { sessionId } = await engine.identity.login({
          username: 'quinn',
          password: demoPassword('quinn'),
        });
        const limited = await engine.identity.authenticate(sessionId, { allowPasswordChange: true });
        await engine.identity.changePassword(limited, demoPassword('quinn'), 'Quartz-Lamp-4829');
      } finally {
        await engine.close();
      }

      const imported = await asQuinn('Quartz-Lamp-4829');
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^Imported tst 1\.0\.0 \(draft, sha256 [0-9a-f]{64}\)\n$/);
      const hash = /sha256 ([0-9a-f]{64})/.exec(imported.stdout)![1];
      const again = await asQuinn('Quartz-Lamp-4829');
      assert.equal(again.stdout, `Imported tst 1.0.0 (draft, sha256 ${hash}) unchanged\n`);
      const tgz = join(root, 'tst-1.0.0.tgz');
      const files = Object.entries(testPackage()).map(([path, text]) => ({
        path: `tst/v1.0.0/${path}`,
        content: Buffer.from(text),
      }));
      writeFileSync(tgz, writeTgz(files, ['tst', 'tst/v1.0.0', 'tst/v1.0.0/forms']));
      const archived = await asQuinn('Quartz-Lamp-4829', tgz);
      assert.equal(archived.stdout, `Imported tst 1.0.0 (draft, sha256 ${hash}) unchanged\n`);

      const broken = await writeTestPackage(
        join(root, 'broken'),
        testPackage('1.0.1', { process: testProcess({ formKey: 'nowhere' }) }),
      );
      const refused = await asQuinn('Quartz-Lamp-4829', broken);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        'attest: The template cannot be imported: report uses the form "nowhere", which is not in the package\'s forms folder\n',
      );
      const wrong = await asQuinn('not-the-password');
      assert.deepEqual([wrong.code, wrong.stderr], [1, 'attest: Wrong user name or password\n']);
      const typed = await asQuinn('');
      assert.deepEqual(
        [typed.code, typed.stderr],
        [1, 'attest: set ATTEST_PASSWORD, or run in a terminal to type the password (see attest --help)\n'],
      );
      const nowhere = await asQuinn('Quartz-Lamp-4829', join(root, 'nothing-here'));
      assert.deepEqual(
        [nowhere.code, nowhere.stderr],
        [1, `attest: there is no folder or .tgz at ${join(root, 'nothing-here')}\n`],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('A4: break glass: unlock lifts the lock of the only administrator, audited with the OS user and reason', async () => {
    const open = async () =>
      createEngine({ database: await openDatabase({ ...options, migrate: false }), settings: TEST_SETTINGS });
    let engine = await open();
    try {
      for (let i = 0; i < 5; i++) {
        await assert.rejects(engine.identity.login({ username: 'adrian', password: `guess-${i}` }));
      }
      await assert.rejects(
        engine.identity.login({ username: 'adrian', password: demoPassword('adrian') }),
        /locked/,
      );
    } finally {
      await engine.close();
    }
    const refused = await attest(['unlock', '--username', 'adrian'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^attest: unlock needs --username and --reason/);
    const unlock = await attest(
      ['unlock', '--username', 'adrian', '--reason', 'The only administrator was locked out by guesses'],
      env,
    );
    assert.equal(unlock.code, 0, unlock.stderr);
    assert.match(unlock.stdout, /^Unlocked adrian; recorded as break glass by /);
    engine = await open();
    try {
      const { sessionId } = await engine.identity.login({
        username: 'adrian',
        password: demoPassword('adrian'),
      });
      const adrian = await engine.identity.authenticate(sessionId, { allowPasswordChange: true });
      const trail = await engine.audit.trail(adrian, { recordId: adrian.userId });
      const unlocked = trail.find((e) => e.type === 'user.unlocked')!;
      assert.equal(unlocked.reason, 'The only administrator was locked out by guesses');
      assert.equal(unlocked.payload.breakGlass, true);
      assert.equal(unlocked.payload.osUser, userInfo().username);
      assert.match(unlocked.actorName, /break glass, OS user /);
      assert.equal(unlocked.actorId, null);
    } finally {
      await engine.close();
    }
  });

  it('answers bad usage with one clear line and a non-zero exit', async () => {
    for (const [args, message] of [
      [['frobnicate'], /^attest: unknown command "frobnicate" \(see attest --help\)\n$/],
      [['start', '--port', 'abc'], /^attest: --port must be a whole number from 0 to 65535, not "abc"/],
      [['create-admin'], /^attest: create-admin needs --username and --name/],
      [['create-admin', '--username', 'ada', '--name', '   '], /^attest: printedName must not be empty\n$/],
      [['import', '--user', 'quinn'], /^attest: import needs a path and --user \(see attest --help\)\n$/],
      [['import', 'a', 'b', '--user', 'quinn'], /^attest: unexpected argument "b"/],
    ] as const) {
      const r = await attest([...args], env);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    const badUrl = await attest(['verify'], { ...env, DATABASE_URL: 'mysql://x' });
    assert.equal(badUrl.stderr, 'attest: DATABASE_URL must be a postgres:// or postgresql:// URL\n');
  });
});
