import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  checkpointKey,
  createEngine,
  directorySink,
  generateCheckpointKeyPem,
  openDatabase,
  seedDemoUsers,
  type DatabaseOptions,
  type Engine,
} from '@attest/engine';
import { packageFiles } from '../../engine/src/templates/package.ts';
import { fixturePackage } from '../../engine/test/templates/fixturePackage.ts';
import { demoPassword, TEST_SETTINGS } from '../../engine/test/support/testEngine.ts';
import { attest, eraseChainOf, target } from './support/attestCommand.ts';

const COUNTED = ['users', 'user_roles', 'records', 'process_instances', 'tasks', 'signatures', 'events'];

async function counts(engine: Engine): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of COUNTED) {
    // The ledger grows with each checkpoint and restore; everything else must come back as it was.
    const where = table === 'events' ? ` WHERE record_type <> 'ledger'` : '';
    const { rows } = await engine.database.knex.raw(`SELECT count(*)::int AS n FROM ${table}${where}`);
    result[table] = rows[0].n;
  }
  return result;
}

describe('Feature: backup and restore, verified against the checkpoint of the backup', () => {
  let root: string;
  let shared: Record<string, string>;
  const drops: (() => Promise<void>)[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'attest-backup-'));
    const keyFile = join(root, 'checkpoint-key.pem');
    writeFileSync(keyFile, generateCheckpointKeyPem(), { mode: 0o600 });
    shared = { ATTEST_CHECKPOINT_KEY: keyFile, ATTEST_CHECKPOINT_DIR: join(root, 'sink'), INIT_CWD: root };
  });
  after(async () => {
    for (const drop of drops) await drop();
    rmSync(root, { recursive: true, force: true });
  });

  async function withEngine<T>(options: DatabaseOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = createEngine({
      database: await openDatabase(options),
      settings: TEST_SETTINGS,
      checkpoints: {
        key: checkpointKey(generateCheckpointKeyPem()),
        sink: directorySink(join(root, 'unused')),
      },
    });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  }

  /** Users, an effective template, a record whose signed step is done, a signature on the record. */
  async function populate(engine: Engine) {
    await seedDemoUsers(engine.identity, { demo: true });
    const login = async (username: 'olivia' | 'quinn' | 'petra') =>
      engine.identity.authenticate(
        (await engine.identity.login({ username, password: demoPassword(username) })).sessionId,
      );
    const [olivia, quinn, petra] = [await login('olivia'), await login('quinn'), await login('petra')];
    const pkg = fixturePackage();
    const sample = {
      ...pkg,
      manifest: { ...pkg.manifest, roles: ['operator', 'qa'], qualifications: {} },
      process: pkg.process.replace(
        'attest:candidateRoles="author"',
        'attest:candidateRoles="operator" attest:signatureMeaning="Performed"',
      ),
    };
    await engine.templates.import(quinn, { files: packageFiles(sample) });
    await engine.templates.submit(quinn, 'deviation', '1.0.0');
    await engine.templates.approve(petra, 'deviation', '1.0.0', { password: demoPassword('petra') });
    await engine.templates.makeEffective(quinn, 'deviation', '1.0.0');
    const record = await engine.records.start(olivia, { template: 'deviation', title: 'Cold room at 9 °C' });
    await engine.signatures.sign(quinn, record.id, { meaning: 'Reviewed', password: demoPassword('quinn') });
    const [task] = await engine.tasks.list(olivia, { instanceId: record.instanceId! });
    await engine.tasks.complete(olivia, task!.id, {
      data: { title: 'Cold room at 9 °C', temperature: 9, notes: 'Door left open' },
      confirmed: ['/temperature'],
      signature: { password: demoPassword('olivia') },
    });
    return record;
  }

  it('E8: a populated database goes through backup and restore into a fresh one and verifies against its checkpoint', async () => {
    const source = await target(root, 'source');
    drops.push(source.drop);
    const env = { ...shared, ...source.env };
    assert.equal((await attest(['migrate'], env)).code, 0);
    const before = await withEngine(source.options, async (engine) => {
      await populate(engine);
      return counts(engine);
    });
    assert.ok(before.signatures! >= 2 && before.records! >= 1);

    const file = join(root, 'backups', 'attest.dump');
    const backedUp = await attest(['backup', file], env);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(
      backedUp.stdout,
      /^Backed up the database \(.*\) to .*attest\.dump \(\d+ bytes, sha256 [0-9a-f]{64}\); checkpoints up to #1 in /,
    );
    assert.ok(readdirSync(`${file}.checkpoints`).includes('manifest.json'));
    assert.match(
      (await attest(['backup', file], env)).stderr,
      /exists already; a backup never overwrites another/,
    );

    // Work goes on after the backup and is checkpointed; a restore loses it, and says so.
    await withEngine(source.options, async (engine) => {
      const quinn = await engine.identity.authenticate(
        (await engine.identity.login({ username: 'quinn', password: demoPassword('quinn') })).sessionId,
      );
      await engine.records.create(quinn, { kind: 'note', title: 'Written after the backup', content: {} });
    });
    const later = await attest(['checkpoint'], env);
    assert.match(later.stdout, /^Signed checkpoint #2 /);

    if (!process.env.DATABASE_URL) {
      const tar = gunzipSync(readFileSync(file));
      assert.ok(tar.includes('PG_VERSION') && !tar.includes('jwt-secret'), 'no secret goes into a backup');
    }

    const fresh = await target(root, 'restored');
    drops.push(fresh.drop);
    const restoreEnv = { ...shared, ...fresh.env };
    const otherKey = join(root, 'other-key.pem');
    writeFileSync(otherKey, generateCheckpointKeyPem());
    const wrongKey = await attest(['restore', file], { ...restoreEnv, ATTEST_CHECKPOINT_KEY: otherKey });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /is not the one that signed the backup's checkpoints/);
    const restored = await attest(['restore', file], restoreEnv);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(restored.stdout, /Checked against checkpoint #3 \(the restore of a backup\)/);
    assert.match(
      restored.stdout,
      /Checkpoint #2 describes data written after the backup restored at .*: that data is gone\./,
    );
    assert.match(restored.stdout, /OK: every hash chain is intact/);

    assert.deepEqual(await withEngine(fresh.options, counts), before);

    // Verified again later, the restored database still checks against the backup's checkpoint.
    const verified = await attest(['verify'], restoreEnv);
    assert.equal(verified.code, 0, verified.stdout);
    // A database that holds data is not overwritten without --force.
    const again = await attest(['restore', file], restoreEnv);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty|holds a database/);
    // With --force it is replaced, and the sink records a second restore to the same checkpoint.
    const forced = await attest(['restore', file, '--force'], restoreEnv);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stdout, /Checked against checkpoint #4 \(the restore of a backup\)/);
    assert.match(forced.stdout, /OK: every hash chain is intact/);
    assert.deepEqual(await withEngine(fresh.options, counts), before);
  });
});

describe('Feature: attest checkpoint and attest verify against the checkpoints', () => {
  let root: string;
  let env: Record<string, string | undefined>;
  let options: DatabaseOptions;
  let drop: () => Promise<void>;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'attest-verify-'));
    const db = await target(root, 'data');
    ({ options, drop } = db);
    env = { ...db.env, ATTEST_CHECKPOINT_DIR: join(root, 'sink'), INIT_CWD: root };
  });
  after(async () => {
    await drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('C3: verify exits non-zero naming a chain erased after it was checkpointed, and the checkpoint', async () => {
    assert.equal((await attest(['migrate'], env)).code, 0);
    assert.equal((await attest(['seed-demo'], env)).code, 0);
    const none = await attest(['verify'], env);
    assert.equal(none.code, 0);
    assert.match(
      none.stdout,
      /No checkpoint key at .*checkpoint-key\.pem: nothing was checked against signed checkpoints\./,
    );
    const taken = await attest(['checkpoint'], env);
    assert.match(
      taken.stdout,
      /^Signed checkpoint #1 \(\d+ events in \d+ chains, 0 records, root [0-9a-f]{16}…\)/,
    );
    const userId = await eraseChainOf(options, 'oscar');
    const verify = await attest(['verify'], env);
    assert.equal(verify.code, 1, verify.stdout);
    assert.match(
      verify.stdout,
      /Checked against checkpoint #1 of directory .*sink, signed .* ago\) with key [0-9a-f]{16}/,
    );
    assert.ok(
      verify.stdout.includes(
        `TAMPERED: chain ${userId}: erased: chain ${userId} is gone; checkpoint #1 recorded seq 1`,
      ),
      verify.stdout,
    );
    const refused = await attest(['checkpoint'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /no checkpoint taken: the audit trail no longer matches the last checkpoint/,
    );
  });
});
