import assert from 'node:assert/strict';
import { loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type ApiResponse, type TestApi } from './support/api.ts';

/** The expression that held the whole server for seconds: a loop over a million numbers. */
const HEAVY = 'count(for i in 1..1000000 return i)';
/** The same loop with its size in a variable: only run time can know. */
const HEAVY_AT_RUN_TIME = 'count(for i in 1..n return i)';

/** Well below the seconds an unbounded evaluation took, with room for a loaded test machine. */
const QUICK_MS = 1500;

const scriptProcess = (id: string, script: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="defs-${id}" targetNamespace="http://attest.dev/test">
  <process id="${id}" name="Heavy script" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <scriptTask id="compute" name="Compute" scriptFormat="feel" attest:resultVariable="total">
      <script>${script}</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="compute" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`;

/** The same script for every element of a list, all in one move. */
const repeatedScriptProcess = (id: string, script: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="defs-${id}" targetNamespace="http://attest.dev/test">
  <process id="${id}" name="Repeated script" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <scriptTask id="compute" name="Compute" scriptFormat="feel" attest:resultVariable="total">
      <multiInstanceLoopCharacteristics isSequential="true" attest:collection="=items" attest:elementVariable="item" />
      <script>${script}</script>
    </scriptTask>
    <sequenceFlow id="f2" sourceRef="compute" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`;

const calculatedForm = (calculate: string) => ({
  components: [
    { type: 'number', key: 'amount', label: 'Amount', input: true },
    { type: 'calculatedValue', key: 'total', label: 'Total', input: true, attest: { calculate } },
  ],
});

describe('Feature: FEEL a designer writes cannot hold the server', () => {
  let api: TestApi;
  let quinn: string;
  let olivia: string;

  before(async () => {
    api = await startTestApi();
    quinn = await api.login('quinn');
    olivia = await api.login('olivia');
  });
  after(() => api.close());

  /** Runs a request and, while it runs, asks the server for its health: both answer quickly. */
  const whileServing = async (request: () => Promise<ApiResponse>) => {
    const started = performance.now();
    const [response, health] = await Promise.all([request(), api.request('GET', '/api/health')]);
    const ms = performance.now() - started;
    assert.equal(health.status, 200);
    assert.ok(ms < QUICK_MS, `took ${ms.toFixed(0)} ms`);
    return response;
  };

  describe('Scenario: refused where it is written, with the reason', () => {
    it('refuses a process whose script loops over a million numbers; nothing is deployed', async () => {
      const deploy = await api.request('POST', '/api/processes', {
        token: quinn,
        body: { xml: scriptProcess('heavyLiteral', HEAVY) },
      });
      const problem = assertProblem(deploy, 400, 'input');
      assert.match(problem.detail, /exceeds the FEEL limits: it iterates 1000000 times; at most 1000 steps/);
      const listed = await api.request('GET', '/api/processes', { token: quinn });
      assert.ok(!JSON.stringify(listed.body).includes('heavyLiteral'));
      const check = await api.request('POST', '/api/designer/process-check', {
        token: quinn,
        body: { xml: scriptProcess('heavyLiteral', HEAVY) },
      });
      assert.equal(check.status, 200, check.text);
      assert.equal(check.body.ok, false);
      assert.match(JSON.stringify(check.body.problems), /exceeds the FEEL limits/);
    });

    it('refuses a form whose calculation loops over a million numbers, at import, check and preview', async () => {
      const imported = await api.request('POST', '/api/forms', {
        token: quinn,
        body: { key: 'heavy', definition: calculatedForm(HEAVY) },
      });
      assert.match(JSON.stringify(assertProblem(imported, 400, 'input').errors), /exceeds the FEEL limits/);
      assert.equal((await api.request('GET', '/api/forms/heavy', { token: olivia })).status, 404);
      const check = await api.request('POST', '/api/designer/form-check', {
        token: quinn,
        body: { definition: calculatedForm(HEAVY) },
      });
      assert.match(JSON.stringify(check.body), /exceeds the FEEL limits/);
      const preview = await whileServing(() =>
        api.request('POST', '/api/designer/form-preview', {
          token: quinn,
          body: { definition: calculatedForm(HEAVY), data: { amount: 1 } },
        }),
      );
      assert.equal(preview.status, 400, preview.text);
    });
  });

  describe('Scenario: stopped at run time, the server answering meanwhile', () => {
    it('a form preview whose calculation meets a huge variable gives a validation error, quickly', async () => {
      const preview = await whileServing(() =>
        api.request('POST', '/api/designer/form-preview', {
          token: quinn,
          body: {
            definition: calculatedForm(HEAVY_AT_RUN_TIME),
            data: { amount: 1 },
            variables: { n: 1_000_000 },
          },
        }),
      );
      assert.equal(preview.status, 200, preview.text);
      assert.match(JSON.stringify(preview.body), /Total could not be calculated: .*exceeds the FEEL limits/);
    });

    it('a script looping over a huge variable raises an incident naming the limit, quickly', async () => {
      await api.ctx.engine.processes.deploy(
        await loginAs(api.ctx.engine, 'quinn'),
        scriptProcess('heavyScript', HEAVY_AT_RUN_TIME),
      );
      const started = await whileServing(() =>
        api.request('POST', '/api/processes/heavyScript/instances', {
          token: olivia,
          body: { variables: { n: 1_000_000 } },
        }),
      );
      assert.equal(started.status, 201, started.text);
      assert.equal(started.body.status, 'incident');
      const incidents = await api.request('GET', `/api/incidents?instanceId=${started.body.id}`, {
        token: quinn,
      });
      assert.match(
        incidents.body.incidents[0].message,
        /exceeds the FEEL limits: it takes more than 1000 steps/,
      );
      const small = await api.request('POST', '/api/processes/heavyScript/instances', {
        token: olivia,
        body: { variables: { n: 100 } },
      });
      assert.equal(small.body.status, 'completed', small.text);
    });

    it('scripts each within the limits but repeated in one move add up to an incident, quickly', async () => {
      await api.ctx.engine.processes.deploy(
        await loginAs(api.ctx.engine, 'quinn'),
        repeatedScriptProcess('repeatedScript', 'sum(for i in 1..n return i)'),
      );
      const start = (count: number) =>
        api.request('POST', '/api/processes/repeatedScript/instances', {
          token: olivia,
          body: { variables: { n: 800, items: Array.from({ length: count }, (_, i) => i) } },
        });
      const two = await start(2);
      const twoIncidents = await api.request('GET', `/api/incidents?instanceId=${two.body.id}`, {
        token: quinn,
      });
      assert.equal(two.body.status, 'completed', twoIncidents.text);
      const started = await whileServing(() => start(200));
      assert.equal(started.body.status, 'incident', started.text);
      const incidents = await api.request('GET', `/api/incidents?instanceId=${started.body.id}`, {
        token: quinn,
      });
      assert.match(
        incidents.body.incidents[0].message,
        /expressions of one act together take more than 20000 steps/,
      );
    });
  });
});
