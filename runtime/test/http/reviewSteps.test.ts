import assert from 'node:assert/strict';
import { createColleague, demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { testManifest, testPackage, testProcess } from './support/templatePackage.ts';

/**
 * A review step read through the API by who may work it: an auditor whose role reads no audit
 * trails otherwise sees the record under review through the step, and nobody else does.
 */
describe('Feature: a review step shows its record to whoever may work it, through the API', () => {
  let api: TestApi;
  const tokens: Record<string, string> = {};
  const call = (user: string, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[user]!, body });
  before(async () => {
    api = await startTestApi();
    const { engine } = api.ctx;
    const adrian = await engine.identity.authenticate(
      (await engine.identity.login({ username: 'adrian', password: demoPassword('adrian') })).sessionId,
    );
    // Roles that read no audit trails: one reviews the trail of a record, the other does nothing here
    for (const [name, permissions] of [
      ['auditor', ['records.review']],
      ['trainee', ['records.create']],
    ] as const) {
      await engine.identity.defineRole(
        adrian,
        { name, title: name, description: `The ${name}`, permissions: [...permissions] },
        { password: demoPassword('adrian') },
      );
    }
    for (const [user, role] of [
      ['ada', 'auditor'],
      ['tom', 'trainee'],
    ] as const) {
      const { password } = await createColleague(api.ctx, user, [role]);
      tokens[user] = await api.login(user, password);
    }
    for (const u of ['olivia', 'quinn', 'petra']) tokens[u] = await api.login(u);
    const files = testPackage('1.0.0', {
      manifest: testManifest('1.0.0', { roles: ['operator', 'auditor'] }),
      process: testProcess().replace(
        'attest:candidateRoles="qa" attest:signatureMeaning="Reviewed"',
        'attest:candidateRoles="auditor" attest:signatureMeaning="Reviewed" attest:reviewOf="auditTrail"',
      ),
    });
    assert.equal((await call('quinn', 'POST', '/api/templates', { files })).status, 201);
    const base = '/api/templates/tst/versions/1.0.0';
    assert.equal((await call('quinn', 'POST', `${base}/submit`)).status, 200);
    await call('petra', 'POST', `${base}/approve`, { password: demoPassword('petra') });
    assert.equal((await call('quinn', 'POST', `${base}/effective`)).status, 200);
  });
  after(() => api.close());

  it('Scenario: the auditor of a review step reads the record and its audit trail through the step; others cannot', async () => {
    const started = await call('olivia', 'POST', '/api/records', { template: 'tst', title: 'Warm room' });
    assert.equal(started.status, 201, started.text);
    const { id, instanceId } = started.body as { id: string; instanceId: string };
    const taskOf = async (user: string, elementId: string) =>
      (
        (await call(user, 'GET', `/api/tasks?instanceId=${instanceId}`)).body.tasks as {
          id: string;
          elementId: string;
        }[]
      ).find((t) => t.elementId === elementId)!.id;
    const report = await taskOf('olivia', 'report');
    await call('olivia', 'PUT', `/api/tasks/${report}/values`, { data: { what: 'Warm', temperature: 21.4 } });
    const done = await call('olivia', 'POST', `/api/tasks/${report}/complete`, {
      data: { what: 'Warm', temperature: 22 },
      reason: 'Thermometer read again',
    });
    assert.equal(done.status, 200, done.text);

    const review = await taskOf('ada', 'review');
    const step = await call('ada', 'GET', `/api/tasks/${review}`);
    assert.equal(step.status, 200, step.text);
    assert.equal(step.body.reviewOf, 'auditTrail');
    const shown = await call('ada', 'GET', `/api/tasks/${review}/review`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.dossier.record.id, id);
    const corrected = (shown.body.dossier.audit as { type: string; reason: string | null }[]).find(
      (e) => e.type === 'form.values_corrected',
    );
    assert.equal(corrected?.reason, 'Thermometer read again');

    // Nothing else opens to the auditor: the record's dossier from Records still needs audit access
    assertProblem(await call('ada', 'GET', `/api/records/${id}/dossier`), 403, 'not-allowed');
    // Someone who may neither work the step nor read audit trails sees nothing of it
    assertProblem(await call('tom', 'GET', `/api/tasks/${review}/review`), 403, 'not-allowed');
    assertProblem(await call('tom', 'GET', `/api/tasks/${review}`), 403, 'not-allowed');
    // A step that reviews nothing has nothing to show
    assertProblem(await call('quinn', 'GET', `/api/tasks/${report}/review`), 404, 'not-found');

    const signed = await call('ada', 'POST', `/api/tasks/${review}/complete`, {
      signature: { password: 'Quartz-Lamp-4829' },
    });
    assert.equal(signed.status, 200, signed.text);
    // Once the step is done, the auditor no longer reads the record through it
    assertProblem(await call('ada', 'GET', `/api/tasks/${review}/review`), 409, 'conflict');
  });
});
