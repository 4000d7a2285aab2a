import assert from 'node:assert/strict';
import {
  checkpointKey,
  CheckpointExistsError,
  createEngine,
  generateCheckpointKeyPem,
  LEDGER_SUBJECT,
  s3Sink,
  type Engine,
  type Principal,
  type S3SinkOptions,
} from '../../src/index.ts';
import { objectUrl } from '../../src/audit/s3Sink.ts';
import { startS3Server, type TestS3Server } from '../support/s3Server.ts';
import { loginAs, startTestEngine, TEST_SETTINGS, type TestContext } from '../support/testEngine.ts';
import { rewriteWeighing, weighRepeatedly } from './checkpointScenarios.ts';

const AT = new Date('2026-12-07T08:00:00Z');

function sinkOptions(store: TestS3Server, overrides: Partial<S3SinkOptions> = {}): S3SinkOptions {
  return {
    endpoint: store.endpoint,
    region: store.region,
    bucket: 'checkpoints',
    prefix: 'plant-a/',
    addressing: 'path',
    credentials: store.credentials,
    lockMode: 'COMPLIANCE',
    retentionDays: 3653,
    now: () => AT,
    ...overrides,
  };
}

describe('Feature: checkpoints in an S3-compatible object store with object lock', () => {
  let store: TestS3Server;
  beforeEach(async () => {
    store = await startS3Server({
      buckets: { checkpoints: { objectLock: true }, plain: { objectLock: false } },
      pageSize: 2,
    });
  });
  afterEach(() => store.close());

  it('C3: writes each checkpoint once under a COMPLIANCE lock for the retention, lists them across pages and reads them back', async () => {
    const sink = s3Sink(sinkOptions(store));
    await sink.checkObjectLock();
    for (const seq of [1, 2, 3]) await sink.write(seq, `{"seq":${seq}}\n`);
    assert.deepEqual(await sink.list(), [1, 2, 3]);
    assert.equal(await sink.read(2), '{"seq":2}\n');
    const objects = store.bucket('checkpoints');
    assert.deepEqual(
      [...objects.keys()],
      [
        'plant-a/checkpoint-000000000001.json',
        'plant-a/checkpoint-000000000002.json',
        'plant-a/checkpoint-000000000003.json',
      ],
    );
    const [first] = objects.get('plant-a/checkpoint-000000000001.json')!;
    assert.equal(first!.lockMode, 'COMPLIANCE');
    assert.equal(
      first!.retainUntil!.toISOString(),
      '2036-12-07T08:00:00.000Z',
      '3653 days after it was written',
    );
    assert.equal(first!.contentType, 'application/json');
    assert.equal(store.refusedSignatures, 0);
    // Other sinks' objects under another prefix are not this sink's checkpoints.
    await s3Sink(sinkOptions(store, { prefix: 'plant-b/' })).write(7, '{}');
    assert.deepEqual(await sink.list(), [1, 2, 3]);
  });

  it('publishes the public key once, locked like the checkpoints; another key under its name is refused', async () => {
    const sink = s3Sink(sinkOptions(store, { lockMode: 'GOVERNANCE' }));
    await sink.publishKey('ab'.repeat(32), 'PEM one');
    await sink.publishKey('ab'.repeat(32), 'PEM one');
    await s3Sink(sinkOptions(store)).publishKey('ab'.repeat(32), 'PEM one');
    const versions = store.bucket('checkpoints').get(`plant-a/checkpoint-key-${'ab'.repeat(8)}.pem`)!;
    assert.equal(versions.length, 1);
    assert.equal(versions[0]!.lockMode, 'GOVERNANCE');
    await assert.rejects(
      s3Sink(sinkOptions(store)).publishKey('ab'.repeat(32), 'PEM two'),
      /checkpoint-key-abababababababab\.pem holds another public key than this one/,
    );
  });

  it('C3: two writers of one checkpoint number: the store lets one win (If-None-Match), the other learns it exists', async () => {
    const [a, b] = [s3Sink(sinkOptions(store)), s3Sink(sinkOptions(store))];
    const outcomes = await Promise.allSettled([a.write(1, 'from a'), b.write(1, 'from b')]);
    const won = outcomes.findIndex((o) => o.status === 'fulfilled');
    assert.ok(won >= 0);
    const lost = outcomes[1 - won]!;
    assert.equal(lost.status, 'rejected');
    assert.ok((lost as PromiseRejectedResult).reason instanceof CheckpointExistsError);
    assert.equal(await a.read(1), won === 0 ? 'from a' : 'from b');
    assert.equal(store.bucket('checkpoints').get('plant-a/checkpoint-000000000001.json')!.length, 1);
  });

  it('C3: the holder of the credentials can neither delete nor replace a locked checkpoint: a newer version or a delete marker leaves what is read unchanged', async () => {
    const sink = s3Sink(sinkOptions(store));
    await sink.write(1, 'signed original');
    const path = '/checkpoints/plant-a/checkpoint-000000000001.json';
    const [original] = store.bucket('checkpoints').get('plant-a/checkpoint-000000000001.json')!;
    const deleted = await store.send('DELETE', `${path}?versionId=${original!.versionId}`);
    assert.equal(deleted.status, 403);
    assert.match(deleted.text, /<Code>AccessDenied<\/Code>/);
    assert.equal((await store.send('PUT', path, { body: 'forged' })).status, 200);
    assert.equal((await store.send('DELETE', path)).status, 204);
    assert.equal(
      (await store.send('GET', path)).status,
      404,
      'the delete marker hides the key from a plain GET',
    );
    assert.deepEqual(await sink.list(), [1]);
    assert.equal(await sink.read(1), 'signed original');
    assert.equal(await s3Sink(sinkOptions(store)).read(1), 'signed original');
  });

  it('refuses a bucket without object lock in one line, and writes nothing there', async () => {
    const sink = s3Sink(sinkOptions(store, { bucket: 'plain' }));
    await assert.rejects(sink.checkObjectLock(), {
      message:
        'the bucket plain has no object lock: checkpoints there could be deleted; use a bucket created with object lock enabled',
    });
    await assert.rejects(
      sink.write(1, '{}'),
      /^Error: the object store refused writing checkpoint-000000000001\.json in s3:\/\/plain\/plant-a\/: 400 InvalidRequest: Bucket is missing Object Lock Configuration$/,
    );
    assert.equal(store.bucket('plain').size, 0);
  });

  it('names wrong credentials, a wrong region, a missing bucket and an unreachable store in one line', async () => {
    const wrongSecret = s3Sink(
      sinkOptions(store, { credentials: { ...store.credentials, secretAccessKey: 'not the secret' } }),
    );
    await assert.rejects(
      wrongSecret.list(),
      /^Error: the object store refused listing the checkpoints in s3:\/\/checkpoints\/plant-a\/: 403 SignatureDoesNotMatch: The request signature we calculated does not match/,
    );
    await assert.rejects(
      s3Sink(sinkOptions(store, { credentials: { ...store.credentials, accessKeyId: 'AKIAUNKNOWN' } })).write(
        1,
        '{}',
      ),
      /403 InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records\.$/,
    );
    await assert.rejects(
      s3Sink(sinkOptions(store, { region: 'us-east-1' })).checkObjectLock(),
      /400 AuthorizationHeaderMalformed: .*expecting 'eu-central-1'$/,
    );
    await assert.rejects(
      s3Sink(sinkOptions(store, { bucket: 'missing' })).list(),
      /404 NoSuchBucket: The specified bucket does not exist$/,
    );
    const closed = await startS3Server();
    await closed.close();
    await assert.rejects(
      s3Sink(sinkOptions(store, { endpoint: closed.endpoint })).list(),
      new RegExp(`^Error: cannot reach the object store at ${closed.endpoint} \\(ECONNREFUSED\\)$`),
    );
    assert.equal(store.bucket('checkpoints').size, 0);
  });

  it('signs the session token of temporary credentials', async () => {
    const temporary = await startS3Server({
      credentials: {
        accessKeyId: 'ASIATEMPORARY',
        secretAccessKey: 'temporary secret',
        sessionToken: 'tok/en+1',
      },
    });
    try {
      await s3Sink(sinkOptions(temporary)).write(1, '{}');
      const withoutToken = { ...temporary.credentials, sessionToken: undefined };
      await assert.rejects(
        s3Sink(sinkOptions(temporary, { credentials: withoutToken })).list(),
        /403 InvalidToken/,
      );
    } finally {
      await temporary.close();
    }
  });

  it('addresses the bucket by path or as a virtual host', () => {
    const at = { endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'gmp-checkpoints' };
    assert.equal(
      objectUrl({ ...at, addressing: 'virtual' }, 'plant a/checkpoint-000000000001.json').href,
      'https://gmp-checkpoints.s3.eu-central-1.amazonaws.com/plant%20a/checkpoint-000000000001.json',
    );
    assert.equal(
      objectUrl({ ...at, endpoint: 'http://minio:9000', addressing: 'path' }, '', {
        versions: '',
        prefix: 'a/',
      }).href,
      'http://minio:9000/gmp-checkpoints/?versions&prefix=a%2F',
    );
  });
});

describe('Feature: signed checkpoints kept in an object store with object lock', () => {
  let store: TestS3Server;
  let ctx: TestContext;
  let olivia: Principal;
  const keyPem = generateCheckpointKeyPem();
  const engineOn = (s: TestS3Server): Engine =>
    createEngine({
      database: ctx.engine.database,
      clock: ctx.clock,
      settings: TEST_SETTINGS,
      checkpoints: { key: checkpointKey(keyPem), sink: s3Sink(sinkOptions(s, { now: undefined })) },
    });

  beforeEach(async () => {
    store = await startS3Server({ pageSize: 3 });
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
  });
  afterEach(async () => {
    await ctx.close();
    await store.close();
  });

  it('C3: an untampered database verifies against its checkpoints in the store; two runtimes at once write one', async () => {
    const [one, two] = [engineOn(store), engineOn(store)];
    const record = await weighRepeatedly(one, olivia);
    const taken = await Promise.all([one.checkpoints!.take(), two.checkpoints!.take()]);
    assert.deepEqual(taken.map((t) => t.written).sort(), [false, true]);
    for (let version = 4; version <= 6; version++) {
      await one.records.update(olivia, record.id, {
        version,
        changes: [{ path: '/w', value: version }],
        reason: 'r',
      });
      await (version % 2 ? one : two).checkpoints!.take();
    }
    const report = await two.verify();
    assert.equal(report.ok, true, JSON.stringify(report.checkpoints?.problems));
    assert.equal(report.checkpoints!.latest!.seq, 4);
    assert.equal(report.checkpoints!.read, 4);
    assert.match(
      report.checkpoints!.sink,
      /^object store s3:\/\/checkpoints\/plant-a\/ at http:\/\/127\.0\.0\.1:\d+$/,
    );
    assert.equal(store.refusedSignatures, 0);
  });

  it('C3: an event rewritten, its chain rehashed, the ledger re-sealed and the checkpoint deleted in the store is still caught', async () => {
    const engine = engineOn(store);
    const record = await weighRepeatedly(engine, olivia);
    assert.ok(await engine.audit.seal());
    await engine.checkpoints!.take();
    await rewriteWeighing(ctx, record.id);
    // With the store's credentials: hide the checkpoint behind a delete marker, put a forgery over it.
    const path = '/checkpoints/plant-a/checkpoint-000000000001.json';
    assert.equal((await store.send('PUT', path, { body: '{"forged":true}' })).status, 200);
    assert.equal((await store.send('DELETE', path)).status, 204);
    const report = await engine.verify();
    assert.deepEqual(
      report.breaks,
      [],
      'the chains and the seals were recomputed: they agree with each other',
    );
    assert.equal(report.ok, false);
    const problems = report.checkpoints!.problems;
    assert.match(
      problems.find((p) => p.id === record.id)!.problem,
      /^rewritten: event 4 of chain .* differs from checkpoint #1 recorded seq 4/,
    );
    assert.ok(problems.some((p) => p.id === LEDGER_SUBJECT.id && /rewritten/.test(p.problem)));
    assert.ok(!problems.some((p) => p.where === 'checkpoint'), JSON.stringify(problems));
    await assert.rejects(
      engine.checkpoints!.take(),
      /no checkpoint taken: the audit trail no longer matches/,
    );
  });
});
