import assert from 'node:assert/strict';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { startTestApi, type ApiResponse, type TestApi } from './support/api.ts';

/** Simultaneous requests on one task: one of each kind per test run, N at once. */
const PARALLEL = 8;

const stepForm = {
  components: [
    { type: 'number', key: 'count', label: 'Count', input: true, validate: { required: true } },
    { type: 'textfield', key: 'note', label: 'Note', input: true },
  ],
};

const process = (id: string, signed: boolean) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="defs-${id}" targetNamespace="http://attest.dev/test">
  <bpmn:process id="${id}" name="Count" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step" />
    <bpmn:userTask id="step" name="Count the containers" attest:formKey="step" attest:candidateRoles="operator"${
      signed ? ' attest:signatureMeaning="Performed"' : ''
    } />
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="check" />
    <bpmn:userTask id="check" name="Check" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

/** The outcome of each response, as status and problem type, sorted: what the clients saw. */
const outcomes = (responses: ApiResponse[]) =>
  responses
    .map((r) => (r.status < 300 ? `${r.status}` : `${r.status} ${String(r.body.type).split(':').at(-1)}`))
    .sort();

describe('Feature: simultaneous work on one task gives one success and clean conflicts', () => {
  let api: TestApi;
  let olivia: string;

  before(async () => {
    api = await startTestApi();
    olivia = await api.login('olivia');
    const quinn = await loginAs(api.ctx.engine, 'quinn');
    await api.ctx.engine.forms.save(quinn, { key: 'step', definition: stepForm });
    await api.ctx.engine.processes.deploy(quinn, process('count', false));
    await api.ctx.engine.processes.deploy(quinn, process('countSigned', true));
  });
  after(() => api.close());

  const openTask = async (key: string) => {
    const started = await api.request('POST', `/api/processes/${key}/instances`, {
      token: olivia,
      body: { variables: {} },
    });
    assert.equal(started.status, 201, started.text);
    return { instanceId: started.body.id as string, taskId: started.body.openTasks[0].id as string };
  };
  const complete = (taskId: string, body: object) =>
    api.request('POST', `/api/tasks/${taskId}/complete`, { token: olivia, body });

  /** The task was completed once: one completion event, the values written once, the trail intact. */
  const completedOnce = async (instanceId: string, taskId: string) => {
    const history = await api.request('GET', `/api/instances/${instanceId}/history`, { token: olivia });
    assert.equal(history.status, 200, history.text);
    const completions = history.body.events.filter(
      (e: { type: string; payload: { taskId?: string } }) =>
        e.type === 'task.completed' && e.payload.taskId === taskId,
    );
    assert.equal(completions.length, 1);
    const form = await api.request('GET', `/api/tasks/${taskId}/form`, { token: olivia });
    assert.equal(form.body.data.count, 3);
    const verified = await api.ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  };

  it(`${PARALLEL} simultaneous completions of one task: exactly one succeeds, the others get 409`, async () => {
    const { instanceId, taskId } = await openTask('count');
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => complete(taskId, { data: { count: 3, note: `try ${i}` } })),
    );
    assert.deepEqual(outcomes(responses), ['200', ...Array(PARALLEL - 1).fill('409 conflict')]);
    await completedOnce(instanceId, taskId);
  });

  it(`${PARALLEL} simultaneous signed completions of one step: one signature, the others get 409`, async () => {
    const { instanceId, taskId } = await openTask('countSigned');
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        complete(taskId, { data: { count: 3 }, signature: { password: demoPassword('olivia') } }),
      ),
    );
    assert.deepEqual(outcomes(responses), ['200', ...Array(PARALLEL - 1).fill('409 conflict')]);
    await completedOnce(instanceId, taskId);
  });

  it(`${PARALLEL} simultaneous completions of a task without a form: one succeeds, the others get 409`, async () => {
    const { taskId } = await openTask('count');
    assert.equal((await complete(taskId, { data: { count: 3 } })).status, 200);
    const tasks = await api.request('GET', '/api/tasks', { token: olivia });
    const next = tasks.body.tasks.find((t: { elementId: string }) => t.elementId === 'check').id as string;
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => complete(next, { variables: { checked: i } })),
    );
    assert.deepEqual(outcomes(responses), ['200', ...Array(PARALLEL - 1).fill('409 conflict')]);
    const verified = await api.ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('saving values and completing at the same moment: every request succeeds or gets 409', async () => {
    const { instanceId, taskId } = await openTask('count');
    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        i % 2 === 0
          ? api.request('PUT', `/api/tasks/${taskId}/values`, {
              token: olivia,
              body: { data: { count: 3, note: 'same' } },
            })
          : complete(taskId, { data: { count: 3, note: 'same' } }),
      ),
    );
    for (const r of responses) assert.ok([200, 409].includes(r.status), `${r.status}: ${r.text}`);
    const completions = responses.filter((r, i) => i % 2 === 1 && r.status === 200);
    assert.ok(completions.length <= 1, 'at most one completion');
    const verified = await api.ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
    if (completions.length === 0) {
      assert.equal((await complete(taskId, { data: { count: 3, note: 'same' } })).status, 200);
    }
    await completedOnce(instanceId, taskId);
  });
});
