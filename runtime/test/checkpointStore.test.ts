import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCheckpointKeyPem, type DatabaseOptions } from '@attest/engine';
import { startS3Server, type TestS3Server } from '../../engine/test/support/s3Server.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { attest, eraseChainOf, target } from './support/attestCommand.ts';

describe('Feature: attest with its checkpoints in an S3-compatible object store with object lock', () => {
  let root: string;
  let store: TestS3Server;
  let env: Record<string, string | undefined>;
  let options: DatabaseOptions;
  let drop: () => Promise<void>;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'attest-store-'));
    store = await startS3Server({
      buckets: { checkpoints: { objectLock: true }, plain: { objectLock: false } },
      pageSize: 2,
    });
    const keyFile = join(root, 'checkpoint-key.pem');
    writeFileSync(keyFile, generateCheckpointKeyPem(), { mode: 0o600 });
    const db = await target(root, 'data');
    ({ options, drop } = db);
    env = {
      ...db.env,
      INIT_CWD: root,
      ATTEST_CHECKPOINT_KEY: keyFile,
      ATTEST_CHECKPOINT_DIR: '',
      ATTEST_CHECKPOINT_SINK: 's3://checkpoints/plant-a',
      ATTEST_S3_ENDPOINT: store.endpoint,
      ATTEST_S3_REGION: store.region,
      AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: '',
    };
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('C3: attest checkpoint, backup and verify use the object store; verify catches a chain erased after its checkpoint', async () => {
    assert.equal((await attest(['migrate'], env)).code, 0);
    assert.equal((await attest(['seed-demo'], env)).code, 0);
    const taken = await attest(['checkpoint'], env);
    assert.equal(taken.code, 0, taken.stderr);
    const sink = `object store s3://checkpoints/plant-a/ at ${store.endpoint}`;
    assert.ok(
      taken.stdout.startsWith('Signed checkpoint #1 ') && taken.stdout.includes(`in ${sink}`),
      taken.stdout,
    );
    const objects = store.bucket('checkpoints');
    assert.ok(objects.has('plant-a/checkpoint-000000000001.json'));
    assert.ok([...objects.keys()].some((k) => /^plant-a\/checkpoint-key-[0-9a-f]{16}\.pem$/.test(k)));
    assert.equal(objects.get('plant-a/checkpoint-000000000001.json')![0]!.lockMode, 'COMPLIANCE');

    const file = join(root, 'backups', 'attest.dump');
    const backedUp = await attest(['backup', file], env);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.deepEqual(
      readdirSync(`${file}.checkpoints`).filter((n) => n.startsWith('checkpoint-0')),
      ['checkpoint-000000000001.json'],
      'the backup carries the checkpoints from the store',
    );

    const intact = await attest(['verify'], env);
    assert.equal(intact.code, 0, intact.stdout);
    assert.ok(intact.stdout.includes(`Checked against checkpoint #1 of ${sink}`), intact.stdout);

    const userId = await eraseChainOf(options, 'oscar');
    const verify = await attest(['verify'], env);
    assert.equal(verify.code, 1, verify.stdout);
    assert.ok(
      verify.stdout.includes(
        `TAMPERED: chain ${userId}: erased: chain ${userId} is gone; checkpoint #1 recorded seq 1`,
      ),
      verify.stdout,
    );
    assert.equal(store.refusedSignatures, 0);
  });

  it('refuses to start or sign into a bucket without object lock, in one line', async () => {
    const plain = { ...env, ATTEST_CHECKPOINT_SINK: 's3://plain/plant-a' };
    const lockless =
      'attest: the bucket plain has no object lock: checkpoints there could be deleted; use a bucket created with object lock enabled\n';
    for (const args of [['checkpoint'], ['start', '--port', '0']]) {
      const refused = await attest(args, plain);
      assert.equal(refused.code, 1, refused.stdout);
      assert.equal(refused.stderr, lockless);
    }
    assert.equal(store.bucket('plain').size, 0);
  });

  it('names wrong credentials in one line', async () => {
    const refused = await attest(['checkpoint'], { ...env, AWS_SECRET_ACCESS_KEY: 'not the secret' });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^attest: the object store refused reading the object lock configuration in s3:\/\/checkpoints\/plant-a\/: 403 SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided\. Check your key and signing method\.\n$/,
    );
  });

  it('reads the object store from the environment, and names the variable that is wrong', async () => {
    const base = {
      ATTEST_CHECKPOINT_SINK: 's3://gmp-checkpoints/plant a',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      INIT_CWD: root,
    };
    const { sink } = loadConfig(base).checkpoint;
    assert.deepEqual(sink, {
      kind: 's3',
      options: {
        endpoint: 'https://s3.us-east-1.amazonaws.com',
        region: 'us-east-1',
        bucket: 'gmp-checkpoints',
        prefix: 'plant a/',
        addressing: 'virtual',
        credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
        lockMode: 'COMPLIANCE',
        retentionDays: 3653,
      },
    });
    const minio = loadConfig({
      ...base,
      ATTEST_CHECKPOINT_SINK: 's3://gmp-checkpoints',
      ATTEST_S3_ENDPOINT: 'http://minio:9000/',
      ATTEST_S3_REGION: 'eu-central-1',
      AWS_SESSION_TOKEN: 'token',
      ATTEST_CHECKPOINT_LOCK_MODE: 'GOVERNANCE',
      ATTEST_CHECKPOINT_RETENTION_DAYS: '30',
    }).checkpoint.sink;
    assert.deepEqual(minio.kind === 's3' && minio.options, {
      endpoint: 'http://minio:9000',
      region: 'eu-central-1',
      bucket: 'gmp-checkpoints',
      prefix: '',
      addressing: 'path',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
      lockMode: 'GOVERNANCE',
      retentionDays: 30,
    });
    const wrong: [Record<string, string>, RegExp][] = [
      [{ ATTEST_CHECKPOINT_SINK: 'ftp://bucket/x' }, /^ATTEST_CHECKPOINT_SINK must be s3:\/\/bucket\/prefix/],
      [
        { ATTEST_CHECKPOINT_SINK: 's3://Bad_Bucket/x' },
        /^ATTEST_CHECKPOINT_SINK must name a bucket of 3 to 63/,
      ],
      [
        { ATTEST_CHECKPOINT_DIR: '/srv/checkpoints' },
        /^set ATTEST_CHECKPOINT_SINK or ATTEST_CHECKPOINT_DIR, not both$/,
      ],
      [
        { AWS_ACCESS_KEY_ID: '' },
        /^AWS_ACCESS_KEY_ID must be set to write checkpoints to s3:\/\/gmp-checkpoints/,
      ],
      [{ AWS_SECRET_ACCESS_KEY: '' }, /^AWS_SECRET_ACCESS_KEY must be set/],
      [
        { ATTEST_S3_ENDPOINT: 'minio:9000' },
        /^ATTEST_S3_ENDPOINT must be an http:\/\/ or https:\/\/ address/,
      ],
      [{ ATTEST_S3_ENDPOINT: 'http://minio:9000/bucket' }, /^ATTEST_S3_ENDPOINT must be/],
      [{ ATTEST_S3_REGION: 'EU Central' }, /^ATTEST_S3_REGION must be a region/],
      [{ ATTEST_S3_ADDRESSING: 'dns' }, /^ATTEST_S3_ADDRESSING must be path or virtual, not "dns"$/],
      [
        { ATTEST_CHECKPOINT_LOCK_MODE: 'strict' },
        /^ATTEST_CHECKPOINT_LOCK_MODE must be COMPLIANCE or GOVERNANCE/,
      ],
      [
        { ATTEST_CHECKPOINT_RETENTION_DAYS: '0' },
        /^ATTEST_CHECKPOINT_RETENTION_DAYS must be a whole number from 1/,
      ],
    ];
    for (const [change, message] of wrong) {
      assert.throws(
        () => loadConfig({ ...base, ...change }),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
      );
    }
    const cli = await attest(['checkpoint'], { ...env, ATTEST_CHECKPOINT_RETENTION_DAYS: 'forever' });
    assert.equal(cli.code, 1);
    assert.equal(
      cli.stderr,
      'attest: ATTEST_CHECKPOINT_RETENTION_DAYS must be a whole number from 1 to 36500, not "forever"\n',
    );
  });
});
