import assert from 'node:assert/strict';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { temperatureField, testForm, testPackage, TEMPLATE_ID } from './support/templatePackage.ts';

/** The report form with a temperature that has alert and action limits. */
const limitedForm = () => {
  const form = testForm();
  const components: Record<string, unknown>[] = form.components;
  components[1] = temperatureField();
  return form;
};

interface Dossier {
  record: { number: string; template: { id: string; version: string }; status: string };
  generatedBy: { username: string };
  steps: {
    elementId: string;
    status: string;
    completedBy: { username: string } | null;
    form: { key: string; version: number } | null;
    values: {
      pointer: string;
      label: string;
      unit: string | null;
      value: unknown;
      source: string;
      enteredBy: { username: string };
      changedAfterEntry: boolean;
      originalValue: unknown;
      changedBy: { username: string } | null;
      changeReason: string | null;
    }[];
    exceptions: { severity: string; message: string; step: string }[];
    signatureIds: string[];
  }[];
  exceptions: { severity: string; status: string; dispositions: { action: string }[] }[];
  signatures: { id: string; meaning: string; manifestation: { text: string } }[];
  audit: { type: string }[];
}

describe('Feature: the review of a record — its dossier and the review queue', () => {
  let api: TestApi;
  const tokens = {} as Record<DemoUser, string>;
  before(async () => {
    api = await startTestApi();
    for (const u of ['olivia', 'quinn', 'petra'] as const) tokens[u] = await api.login(u);
    const files = testPackage('1.0.0', { form: limitedForm() });
    assert.equal((await call('quinn', 'POST', '/api/templates', { files })).status, 201);
    const base = `/api/templates/${TEMPLATE_ID}/versions/1.0.0`;
    assert.equal((await call('quinn', 'POST', `${base}/submit`)).status, 200);
    const approved = await call('petra', 'POST', `${base}/approve`, { password: demoPassword('petra') });
    assert.equal(approved.status, 200, approved.text);
    assert.equal((await call('quinn', 'POST', `${base}/effective`)).status, 200);
  });
  after(() => api.close());

  function call(user: DemoUser, method: string, path: string, body?: unknown) {
    return api.request(method, path, { token: tokens[user], body });
  }
  async function openTask(record: string, elementId: string): Promise<string> {
    const found = await call('quinn', 'GET', `/api/records/${record}`);
    const task = (found.body.openTasks as { id: string; elementId: string }[]).find(
      (t) => t.elementId === elementId,
    );
    assert.ok(task, `no open ${elementId}`);
    return task.id;
  }

  it('D5: the dossier holds every step with its values, provenance, exceptions by severity, changes after entry with original and reason, and signatures by step', async () => {
    const started = await call('olivia', 'POST', '/api/records', {
      template: TEMPLATE_ID,
      title: 'Warm room',
    });
    assert.equal(started.status, 201, started.text);
    const number = started.body.number as string;
    const report = await openTask(number, 'report');
    const saved = await call('olivia', 'PUT', `/api/tasks/${report}/values`, {
      data: { what: 'The room was warm', temperature: 24 },
    });
    assert.equal(saved.status, 200, saved.text);
    const done = await call('olivia', 'POST', `/api/tasks/${report}/complete`, {
      data: { what: 'The room was warm', temperature: 31 },
      reason: 'Read again after the probe settled',
      confirmed: ['/temperature'],
    });
    assert.equal(done.status, 200, done.text);

    // Quinn reviews by exception: the step waits in her queue with its counts; Olivia has none.
    const queue = await call('quinn', 'GET', '/api/review-queue');
    assert.equal(queue.status, 200, queue.text);
    const item = (
      queue.body.items as {
        meaning: string;
        record: { number: string };
        exceptions: { high: number; holding: number };
        changedValues: number;
      }[]
    ).find((i) => i.record.number === number);
    assert.ok(item, 'the review waits in the queue');
    assert.deepEqual(
      {
        meaning: item.meaning,
        high: item.exceptions.high,
        holding: item.exceptions.holding,
        changed: item.changedValues,
      },
      { meaning: 'Reviewed', high: 1, holding: 1, changed: 1 },
    );
    const none = await call('olivia', 'GET', '/api/review-queue');
    assert.deepEqual(none.body.items, []);

    // The temperature's exception is blocking: the review waits for QA's decision on it (F4).
    const held = await call('petra', 'GET', `/api/records/${number}/dossier`);
    const exceptionId = held.body.exceptions[0].id as string;
    for (const [action, comment] of [
      ['assess', 'Probe by the door; room within range an hour later.'],
      ['accept', 'No product in the room at the time.'],
    ]) {
      const decided = await call('petra', 'POST', `/api/exceptions/${exceptionId}/dispositions`, {
        action,
        comment,
        password: demoPassword('petra'),
      });
      assert.equal(decided.status, 200, decided.text);
    }

    const review = await openTask(number, 'review');
    const reviewed = await call('quinn', 'POST', `/api/tasks/${review}/complete`, {
      signature: { password: demoPassword('quinn') },
    });
    assert.equal(reviewed.status, 200, reviewed.text);

    const response = await call('petra', 'GET', `/api/records/${number}/dossier`);
    assert.equal(response.status, 200, response.text);
    const dossier = response.body as Dossier;
    assert.equal(dossier.record.number, number);
    assert.deepEqual(dossier.record.template, {
      ...dossier.record.template,
      id: TEMPLATE_ID,
      version: '1.0.0',
    });
    assert.equal(dossier.record.status, 'closed');
    assert.equal(dossier.generatedBy.username, 'petra');
    assert.deepEqual(
      dossier.steps.map((s) => [s.elementId, s.status, s.completedBy?.username]),
      [
        ['report', 'completed', 'olivia'],
        ['review', 'completed', 'quinn'],
      ],
    );
    const [reportStep, reviewStep] = dossier.steps;
    assert.equal(reportStep!.form?.key, 'report');
    const temperature = reportStep!.values.find((v) => v.pointer === '/temperature')!;
    assert.deepEqual(
      {
        label: temperature.label,
        unit: temperature.unit,
        value: temperature.value,
        source: temperature.source,
        by: temperature.enteredBy.username,
        changed: temperature.changedAfterEntry,
        original: temperature.originalValue,
        changedBy: temperature.changedBy?.username,
        reason: temperature.changeReason,
      },
      {
        label: 'Temperature',
        unit: '°C',
        value: 31,
        source: 'manual',
        by: 'olivia',
        changed: true,
        original: 24,
        changedBy: 'olivia',
        reason: 'Read again after the probe settled',
      },
    );
    assert.equal(reportStep!.values.find((v) => v.pointer === '/what')!.changedAfterEntry, false);
    assert.deepEqual(
      reportStep!.exceptions.map((e) => [e.severity, e.step]),
      [['high', 'Report']],
    );
    assert.match(reportStep!.exceptions[0]!.message, /Temperature/);
    assert.equal(dossier.exceptions.length, 1);
    assert.deepEqual(
      [dossier.exceptions[0]!.status, dossier.exceptions[0]!.dispositions.map((d) => d.action)],
      ['accepted', ['assessed', 'accepted']],
    );
    const reviewSignature = dossier.signatures.find((s) => s.id === reviewStep!.signatureIds[0]);
    assert.equal(reviewSignature?.meaning, 'Reviewed');
    assert.match(reviewSignature!.manifestation.text, /^Reviewed by .*\(quinn\)/);
    const types = dossier.audit.map((e) => e.type);
    for (const type of ['record.created', 'form.values_entered', 'task.completed', 'signature.applied'])
      assert.ok(types.includes(type), `the audit trail has ${type}`);
  });

  it('answers an unknown record with a 404 problem', async () => {
    assertProblem(await call('quinn', 'GET', '/api/records/TST-1999-9999/dossier'), 404, 'not-found');
  });
});
