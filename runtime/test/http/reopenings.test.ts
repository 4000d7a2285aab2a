import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { batchCaller, closedBatch, type Caller } from './support/batchRecords.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: reopening a closed record over HTTP (D4)', () => {
  let api: TestApi;
  let call: Caller;

  before(async () => {
    api = await startTestApi();
    ({ call } = await batchCaller(api));
  });
  after(() => api.close());

  const closedRecord = () => closedBatch(call, 'Batch 11');

  it('D4: QA reopens a closed record by its number: 201, the record reopened, the earlier signatures flagged', async () => {
    const record = await closedRecord();
    const reopened = await call('quinn', 'POST', `/api/records/${record.number}/reopenings`, {
      reason: 'Late lab result to attach',
      password: demoPassword('quinn'),
    });
    assert.equal(reopened.status, 201, reopened.text);
    assert.equal(reopened.body.status, 'reopened');
    assert.equal(reopened.headers.get('location'), `/api/records/${record.id}`);
    const dossier = (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body;
    assert.equal(dossier.reopenings[0].reason, 'Late lab result to attach');
    assert.deepEqual(
      dossier.signatures.map((s: { meaning: string; precedesReopening: unknown }) => [
        s.meaning,
        s.precedesReopening !== null,
      ]),
      [
        ['Reviewed', true],
        ['Reopened', false],
      ],
    );
    const signatures = (await call('petra', 'GET', `/api/records/${record.id}/signatures`)).body.signatures;
    assert.equal(signatures[0].precedesReopening.reopeningId, dossier.reopenings[0].id);
  });

  it('D4: the printout shows the reopening with its reason and signature, and marks the signatures given before it', async function () {
    if (spawnSync('pdftotext', ['-v']).error) this.skip();
    const record = await closedRecord();
    await call('quinn', 'POST', `/api/records/${record.id}/reopenings`, {
      reason: 'Label reconciliation to correct',
      password: demoPassword('quinn'),
    });
    const response = await call('quinn', 'GET', `/api/records/${record.id}/printout`);
    assert.equal(response.status, 200, response.text);
    const dir = await mkdtemp(join(tmpdir(), 'attest-reopen-'));
    const file = join(dir, `${record.number}.pdf`);
    await writeFile(file, response.bytes);
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout.replace(
      /\s+/g,
      ' ',
    );
    await rm(dir, { recursive: true, force: true });
    assert.match(text, /Reopened 1 time; last on .* by Quinn Quaye \(quinn\), not yet approved again/);
    assert.match(
      text,
      /Reopenings Reopened on .* by Quinn Quaye \(quinn\), from closed\. Reason: Label reconciliation to correct/,
    );
    assert.match(text, /Signed: Reopened by Quinn Quaye \(quinn\) on /);
    assert.match(text, /STILL REOPENED: a new approval by someone else closes it again/);
    assert.match(text, /GIVEN BEFORE THE REOPENING/);
  });

  it('D4: no permission, no reason, a wrong password, an open record, a second reopening: problem+json, nothing changes', async () => {
    const record = await closedRecord();
    const open = (await call('olivia', 'POST', '/api/records', { template: 'br', title: 'Batch 12' })).body;
    const path = `/api/records/${record.id}/reopenings`;
    const state = async () => ({
      record: (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body.reopenings,
      status: (await call('quinn', 'GET', `/api/records/${record.id}`)).body.status,
      open: (await call('quinn', 'GET', `/api/records/${open.id}/dossier`)).body.reopenings,
    });
    await changesNothingTo(state)(async () => {
      assertProblem(
        await call('petra', 'POST', path, { reason: 'Because', password: demoPassword('petra') }),
        403,
        'not-allowed',
      );
      expectInput(await call('quinn', 'POST', path, { password: demoPassword('quinn') }), '/reason');
      expectInput(
        await call('quinn', 'POST', path, { reason: '  ', password: demoPassword('quinn') }),
        '/reason',
      );
      expectInput(await call('quinn', 'POST', path, { reason: 'Because' }), '/password');
      assertProblem(
        await call('quinn', 'POST', path, { reason: 'Because', password: 'wrong' }),
        401,
        'unauthenticated',
      );
      const notClosed = assertProblem(
        await call('quinn', 'POST', `/api/records/${open.id}/reopenings`, {
          reason: 'Because',
          password: demoPassword('quinn'),
        }),
        409,
        'conflict',
      );
      assert.match(notClosed.detail, /is open, not closed/);
      assertProblem(
        await call('quinn', 'POST', '/api/records/BR-1999-0001/reopenings', {
          reason: 'Because',
          password: demoPassword('quinn'),
        }),
        404,
        'not-found',
      );
    });
    const first = await call('quinn', 'POST', path, { reason: 'Because', password: demoPassword('quinn') });
    assert.equal(first.status, 201, first.text);
    const twice = assertProblem(
      await call('quinn', 'POST', path, { reason: 'Again', password: demoPassword('quinn') }),
      409,
      'conflict',
    );
    assert.match(twice.detail, /is reopened already/);
    const again = await call('quinn', 'POST', `/api/records/${record.id}/signatures`, {
      meaning: 'Approved',
      password: demoPassword('quinn'),
    });
    assertProblem(again, 403, 'not-allowed');
  });
});
