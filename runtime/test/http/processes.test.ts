import assert from 'node:assert/strict';
import type { InputError, Principal } from '@attest/engine';
import { fixture } from '../../../engine/test/bpmn/execution/support.ts';
import { createColleague, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput, processState } from './support/refusals.ts';

const MISSING = '00000000-0000-4000-8000-00000000beef';

/** An executable process around one element, for models the engine must refuse. */
const model = (element: string, namespaces = '') => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" ${namespaces}
             id="refused-definitions" targetNamespace="https://attest.example/test">
  <process id="refused" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="cg" />
    ${element}
    <sequenceFlow id="f2" sourceRef="cg" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`;

describe('Feature: BPMN processes, user tasks and incidents over HTTP', () => {
  let api: TestApi;
  let olivia: Principal;
  let quinn: Principal;
  let adrian: Principal;
  const tokens: Partial<Record<DemoUser, string>> = {};
  const token = (who: DemoUser) => tokens[who]!;

  before(async () => {
    api = await startTestApi();
    olivia = await loginAs(api.ctx.engine, 'olivia');
    quinn = await loginAs(api.ctx.engine, 'quinn');
    adrian = await loginAs(api.ctx.engine, 'adrian');
  });
  beforeEach(async () => {
    for (const who of ['olivia', 'oscar', 'quinn', 'petra', 'adrian'] as const) {
      tokens[who] = await api.login(who);
    }
  });
  after(() => api.close());

  const deploy = (who: DemoUser, xml: string) =>
    api.request('POST', '/api/processes', { token: token(who), body: { xml } });
  const start = (key: string, body: object = {}, who: DemoUser = 'olivia') =>
    api.request('POST', `/api/processes/${key}/instances`, { token: token(who), body });
  const complete = (who: DemoUser, taskId: string, body: object = {}) =>
    api.request('POST', `/api/tasks/${taskId}/complete`, { token: token(who), body });
  const claim = (who: DemoUser, taskId: string) =>
    api.request('POST', `/api/tasks/${taskId}/claim`, { token: token(who) });
  const get = (who: DemoUser, path: string) => api.request('GET', path, { token: token(who) });

  /** The id of the open task at an element of an instance as the API returned it. */
  const taskAt = (instance: { openTasks: { id: string; elementId: string }[] }, elementId: string) => {
    const task = instance.openTasks.find((t) => t.elementId === elementId);
    assert.ok(task, `no open task at ${elementId}: ${JSON.stringify(instance.openTasks)}`);
    return task.id;
  };

  /** Runs the requests, each of which must be refused, and checks that nothing changed at all. */
  const changesNothing = changesNothingTo(() =>
    processState(api.ctx.engine, { qa: quinn, operator: olivia, admin: adrian }),
  );

  describe('deploying', () => {
    it('A2: deploys a BPMN file for one who may manage templates, once per content', async () => {
      await changesNothing(async () => {
        assertProblem(await deploy('olivia', fixture('approval.bpmn')), 403, 'not-allowed');
      });
      const first = await deploy('quinn', fixture('approval.bpmn'));
      assert.equal(first.status, 201, first.text);
      const [definition] = first.body.definitions;
      assert.deepEqual(
        [definition.key, definition.version, definition.name, definition.created],
        ['approval', 1, 'Deviation triage', true],
      );
      const again = await deploy('quinn', fixture('approval.bpmn'));
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body.definitions, [{ ...definition, created: false }]);
    });

    it('lists every version, newest first per key', async () => {
      await api.ctx.engine.processes.deploy(quinn, fixture('approval.bpmn'));
      const revised = fixture('approval.bpmn').replace('"Deviation triage"', '"Deviation triage, revised"');
      assert.equal((await deploy('quinn', revised)).status, 201);
      assert.equal((await deploy('quinn', fixture('line-clearance.bpmn'))).status, 201);
      const listed = await get('olivia', '/api/processes');
      assert.equal(listed.status, 200, listed.text);
      const versions = listed.body.definitions.map((d: { key: string; version: number }) => [
        d.key,
        d.version,
      ]);
      assert.deepEqual(versions, [
        ['approval', 2],
        ['approval', 1],
        ['lineClearance', 1],
      ]);
      assert.ok(listed.body.definitions.every((d: { created: boolean }) => !d.created));
    });

    it('refuses a model it cannot execute, naming each offending element, and deploys nothing', async () => {
      await changesNothing(async () => {
        const complexGateway = model('<complexGateway id="cg" />');
        const complex = await deploy('quinn', complexGateway);
        expectInput(complex, '/elements/cg');
        const refusal: InputError = await api.ctx.engine.processes.deploy(quinn, complexGateway).then(
          () => assert.fail('the engine deployed a complex gateway'),
          (error: InputError) => error,
        );
        assert.deepEqual([complex.body.detail, complex.body.errors], [refusal.message, refusal.errors]);
        const attest = 'xmlns:attest="http://attest.dev/schema/bpmn/1.0"';
        const qualified = await deploy(
          'quinn',
          model('<userTask id="cg" attest:qualifications="SOP-QA-001" />', attest),
        );
        expectInput(qualified, '/elements/cg', 'unsupported');
        const withForm = await deploy(
          'quinn',
          model('<userTask id="cg" attest:formKey="batch@1" />', attest),
        );
        expectInput(withForm, '/elements/cg', 'reference');
        const notXml = await deploy('quinn', '<definitions><process id="x"');
        assert.ok(assertProblem(notXml, 400, 'input').errors?.length);
      });
    });

    it('takes a BPMN file of up to 2,000,000 characters, larger than other requests may be', async () => {
      const padding = `<!-- ${'x'.repeat(1_990_000)} -->`;
      const large = fixture('line-clearance.bpmn').replace('<process', `${padding}\n  <process`);
      assert.ok(large.length <= 2_000_000 && large.length > 1_990_000);
      const deployed = await deploy('quinn', large);
      assert.equal(deployed.status, 201, deployed.text.slice(0, 500));
      assert.deepEqual(
        deployed.body.definitions.map((d: { key: string; version: number }) => [d.key, d.version]),
        [['lineClearance', 2]],
      );
    });
  });

  describe('running instances', () => {
    before(async () => {
      await api.ctx.engine.processes.deploy(quinn, fixture('approval.bpmn'));
      await api.ctx.engine.processes.deploy(quinn, fixture('no-default.bpmn'));
    });

    it('starts an instance of the latest version, waiting at its first task', async () => {
      const started = await start('approval', {
        variables: { severity: 'minor', impact: 0 },
        businessKey: 'DEV-7',
      });
      assert.equal(started.status, 201, started.text);
      assert.equal(started.headers.get('location'), `/api/instances/${started.body.id}`);
      assert.deepEqual(
        [started.body.key, started.body.status, started.body.businessKey, started.body.endedAt],
        ['approval', 'active', 'DEV-7', null],
      );
      assert.deepEqual(started.body.variables, { severity: 'minor', impact: 0 });
      taskAt(started.body, 'triage');
      const read = await get('quinn', started.headers.get('location')!);
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.body, started.body);
    });

    it('A2: a task is seen and worked on only by the roles it names', async () => {
      const started = (await start('approval', { variables: { severity: 'critical', impact: 1 } })).body;
      const triage = taskAt(started, 'triage');
      const forQa = await get('quinn', `/api/tasks?instanceId=${started.id}`);
      assert.equal(forQa.status, 200, forQa.text);
      const [task] = forQa.body.tasks;
      assert.deepEqual(
        [forQa.body.tasks.length, task.id, task.elementId, task.name, task.candidateRoles, task.assignee],
        [1, triage, 'triage', 'QA triage', ['qa'], null],
      );
      assert.equal(Date.parse(task.dueAt) - Date.parse(task.createdAt), 8 * 3600_000);
      assert.deepEqual((await get('olivia', `/api/tasks?instanceId=${started.id}`)).body.tasks, []);

      await changesNothing(async () => {
        assertProblem(await complete('olivia', triage), 403, 'not-allowed');
        assertProblem(await claim('olivia', triage), 403, 'not-allowed');
      });
      const triaged = await complete('quinn', triage, { variables: { impact: 2 } });
      assert.equal(triaged.status, 200, triaged.text);
      assert.deepEqual(
        [triaged.body.status, triaged.body.variables.critical, triaged.body.variables.impact],
        ['active', true, 2],
      );
      const qp = taskAt(triaged.body, 'qp');
      assertProblem(await complete('quinn', qp), 403, 'not-allowed');

      const closed = await complete('petra', qp);
      assert.equal(closed.status, 200, closed.text);
      assert.equal(closed.body.status, 'completed');
      assert.deepEqual(closed.body.openTasks, []);
      assert.ok(closed.body.endedAt);
      assert.deepEqual((await get('olivia', `/api/instances/${started.id}`)).body, closed.body);
    });

    it('C1: the history of an instance shows every step in order, who took it, when and what changed', async () => {
      const started = (await start('approval', { variables: { severity: 'minor', impact: 1 } })).body;
      await complete('quinn', taskAt(started, 'triage'), { variables: { impact: 2 } });
      const history = await get('olivia', `/api/instances/${started.id}/history`);
      assert.equal(history.status, 200, history.text);
      const events = history.body.events;
      assert.deepEqual(
        events.map((e: { type: string }) => e.type),
        [
          'process.started',
          'task.created',
          'task.completed',
          'script.evaluated',
          'gateway.decided',
          'process.completed',
        ],
      );
      assert.deepEqual(
        events.map((e: { seq: number }) => e.seq),
        [1, 2, 3, 4, 5, 6],
      );
      for (const [i, event] of events.entries()) {
        assert.equal(event.recordId, started.id);
        assert.equal(event.recordType, 'instance');
        if (i > 0) assert.equal(event.prevHash, events[i - 1].hash);
      }
      const completed = events[2];
      assert.deepEqual([completed.actorId, completed.actorName], [quinn.userId, 'Quinn Quaye']);
      assert.deepEqual(completed.payload.changes, [{ path: '/impact', old: 1, new: 2 }]);
      assert.equal(events[0].actorName, 'Olivia Ortega');
      assertProblem(await get('olivia', `/api/instances/${MISSING}/history`), 404, 'not-found');
    });

    it('A2: a claimed task is worked on by the one who claimed it', async () => {
      const started = (await start('approval', { variables: { severity: 'minor', impact: 0 } })).body;
      const triage = taskAt(started, 'triage');
      const claimed = await claim('quinn', triage);
      assert.equal(claimed.status, 200, claimed.text);
      assert.deepEqual([claimed.body.id, claimed.body.assignee], [triage, quinn.userId]);
      assert.deepEqual((await claim('quinn', triage)).body, claimed.body);

      await createColleague(api.ctx, 'quentin', ['qa']);
      const quentin = await api.login('quentin', 'Quartz-Lamp-4829');
      await changesNothing(async () => {
        for (const action of ['claim', 'complete']) {
          const response = await api.request('POST', `/api/tasks/${triage}/${action}`, {
            token: quentin,
            ...(action === 'complete' && { body: {} }),
          });
          assert.match(assertProblem(response, 403, 'not-allowed').detail, /claimed by someone else/);
        }
      });
      const history = (await get('quinn', `/api/instances/${started.id}/history`)).body.events;
      assert.equal(history.at(-1).type, 'task.claimed');
      assert.equal((await complete('quinn', triage)).body.status, 'completed');
    });

    it('refuses a second or concurrent completion of a task with 409', async () => {
      const started = (await start('approval', { variables: { severity: 'minor', impact: 0 } })).body;
      const triage = taskAt(started, 'triage');
      const both = await Promise.all([complete('quinn', triage), complete('quinn', triage)]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 409]);
      assertProblem(
        both.find((r) => r.status === 409)!,
        409,
        'conflict',
      );
      await changesNothing(async () => {
        assertProblem(await complete('quinn', triage), 409, 'conflict');
        assertProblem(await claim('quinn', triage), 409, 'conflict');
      });
    });

    it('raises an incident where no flow matches, and goes on when it is retried with corrected variables', async () => {
      const started = await start('noDefault', { variables: { quantity: 50 } });
      assert.equal(started.status, 201, started.text);
      assert.equal(started.body.status, 'incident');
      const listed = await get('quinn', `/api/incidents?instanceId=${started.body.id}`);
      assert.equal(listed.status, 200, listed.text);
      const [incident] = listed.body.incidents;
      assert.deepEqual(
        [listed.body.incidents.length, incident.instanceId, incident.elementId, incident.id],
        [1, started.body.id, 'route', started.body.incidents[0].id],
      );
      assert.match(incident.message, /No outgoing flow matches/);
      const all = await get('olivia', '/api/incidents');
      assert.ok(all.body.incidents.some((i: { id: string }) => i.id === incident.id));

      const retry = (who: DemoUser, body: object) =>
        api.request('POST', `/api/incidents/${incident.id}/retry`, { token: token(who), body });
      await changesNothing(async () => {
        assertProblem(await retry('petra', { variables: { quantity: 5 } }), 403, 'not-allowed');
      });
      const retried = await retry('quinn', {
        variables: { quantity: 5 },
        reason: 'Quantity was missing from the order',
      });
      assert.equal(retried.status, 200, retried.text);
      assert.deepEqual([retried.body.status, retried.body.incidents], ['active', []]);
      taskAt(retried.body, 'small');
      assert.deepEqual(
        (await get('quinn', `/api/incidents?instanceId=${started.body.id}`)).body.incidents,
        [],
      );
      await changesNothing(async () => {
        assertProblem(await retry('quinn', {}), 409, 'conflict');
      });
      const types = (await get('quinn', `/api/instances/${started.body.id}/history`)).body.events.map(
        (e: { type: string }) => e.type,
      );
      assert.deepEqual(types, [
        'process.started',
        'incident.raised',
        'incident.retried',
        'gateway.decided',
        'task.created',
      ]);
    });
  });

  describe('bad input gets a clear problem and changes nothing', () => {
    let instanceId: string;
    let taskId: string;
    let incidentId: string;

    before(async () => {
      await api.ctx.engine.processes.deploy(quinn, fixture('approval.bpmn'));
      await api.ctx.engine.processes.deploy(quinn, fixture('no-default.bpmn'));
      const instance = await api.ctx.engine.processes.start(olivia, 'approval', { variables: { impact: 0 } });
      const stuck = await api.ctx.engine.processes.start(olivia, 'noDefault', {
        variables: { quantity: 50 },
      });
      [instanceId, taskId, incidentId] = [instance.id, instance.openTasks[0]!.id, stuck.incidents[0]!.id];
    });

    /** Every operation that takes a body, with one that would be accepted. */
    const posts = () => [
      { path: '/api/processes', body: { xml: fixture('approval.bpmn') } },
      { path: '/api/processes/approval/instances', body: { variables: { impact: 0 }, businessKey: 'B-1' } },
      { path: `/api/tasks/${taskId}/claim`, body: {} },
      { path: `/api/tasks/${taskId}/complete`, body: { variables: { impact: 0 } } },
      { path: `/api/incidents/${incidentId}/retry`, body: { variables: { quantity: 5 } } },
    ];
    const gets = () => [
      '/api/processes',
      `/api/instances/${instanceId}`,
      `/api/instances/${instanceId}/history`,
      '/api/tasks',
      '/api/incidents',
    ];
    const post = (
      path: string,
      options: { body?: unknown; raw?: string; headers?: Record<string, string> },
    ) => api.request('POST', path, { token: token('quinn'), ...options });

    it('refuses malformed JSON, other content types, unknown fields and a body that is not an object', async () => {
      await changesNothing(async () => {
        for (const { path, body } of posts()) {
          for (const raw of ['{"xml": ', '{"a":1}}', "{'a': 1}", 'NaN']) {
            assertProblem(await post(path, { raw }), 400, 'malformed-json');
          }
          const xml = { 'content-type': 'application/xml' };
          assertProblem(await post(path, { raw: '<a/>', headers: xml }), 415, 'unsupported-media-type');
          expectInput(await post(path, { body: { ...body, debug: true } }), '/debug', 'additionalProperties');
          const polluted = JSON.stringify(body).replace(
            /^\{/,
            `{"__proto__":{"admin":true}${Object.keys(body).length ? ',' : ''}`,
          );
          expectInput(await post(path, { raw: polluted }), '/__proto__', 'additionalProperties');
          expectInput(await post(path, { raw: '[]' }), '', 'type');
          expectInput(await post(`${path}?debug=1`, { body }), '/debug', 'additionalProperties');
        }
        for (const path of gets()) {
          expectInput(await get('quinn', `${path}?debug=1`), '/debug', 'additionalProperties');
        }
      });
    });

    it('refuses wrong types, missing fields and over-long values, each with a pointer to the field', async () => {
      await changesNothing(async () => {
        const [deployment, starting, , completion, retry] = posts();
        expectInput(await post(deployment!.path, { body: {} }), '/xml', 'required');
        expectInput(await post(deployment!.path, { body: { xml: 12345 } }), '/xml', 'type');
        expectInput(await post(deployment!.path, { body: { xml: '' } }), '/xml', 'minLength');
        expectInput(await post(deployment!.path, { body: { xml: ' \n ' } }), '/xml', 'pattern');
        expectInput(
          await post(deployment!.path, { body: { xml: 'x'.repeat(2_000_001) } }),
          '/xml',
          'maxLength',
        );
        expectInput(
          await post(starting!.path, { body: { businessKey: 'B'.repeat(201) } }),
          '/businessKey',
          'maxLength',
        );
        expectInput(await post(starting!.path, { body: { businessKey: 7 } }), '/businessKey', 'type');
        expectInput(await api.request('POST', starting!.path, { token: token('quinn') }), '', 'required');
        const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`v${i}`, i]));
        for (const { path } of [starting!, completion!, retry!]) {
          for (const wrong of [[], 'x', 42, null, true]) {
            expectInput(await post(path, { body: { variables: wrong } }), '/variables', 'type');
          }
          expectInput(await post(path, { body: { variables: many } }), '/variables', 'maxProperties');
        }
      });
    });

    it('refuses bodies over 100 kB, over 1 MB for form data, over 4 MB for a BPMN file (413)', async () => {
      await changesNothing(async () => {
        for (const { path } of posts()) {
          const size =
            path === '/api/processes'
              ? 4 * 1024 * 1024
              : path.endsWith('/complete')
                ? 1025 * 1024
                : 101 * 1024;
          const raw = JSON.stringify({ xml: 'x'.repeat(size), variables: {} });
          assertProblem(await post(path, { raw }), 413, 'payload-too-large');
        }
      });
    });

    it('refuses ids that are not UUIDs and keys that are not process ids with 400, before any database sees them', async () => {
      await changesNothing(async () => {
        for (const bad of ['not-a-uuid', '1', `urn:uuid:${MISSING}`, `${MISSING}'--`, `${MISSING}x`]) {
          const id = encodeURIComponent(bad);
          expectInput(await get('quinn', `/api/instances/${id}`), '/id');
          expectInput(await get('quinn', `/api/instances/${id}/history`), '/id');
          expectInput(await post(`/api/tasks/${id}/claim`, {}), '/id');
          expectInput(await post(`/api/tasks/${id}/complete`, { body: {} }), '/id');
          expectInput(await post(`/api/incidents/${id}/retry`, { body: {} }), '/id');
          expectInput(await get('quinn', `/api/tasks?instanceId=${id}`), '/instanceId');
          expectInput(await get('quinn', `/api/incidents?instanceId=${id}`), '/instanceId');
        }
        const twice = `instanceId=${instanceId}&instanceId=${instanceId}`;
        expectInput(await get('quinn', `/api/tasks?${twice}`), '/instanceId', 'type');
        for (const bad of ['1approval', "x' OR '1'='1", 'a b', 'k'.repeat(201), '%00']) {
          const path = `/api/processes/${encodeURIComponent(bad).replace('%2500', '%00')}/instances`;
          expectInput(await post(path, { body: {} }), '/key');
        }
      });
    });

    it('answers 404 for what does not exist', async () => {
      await changesNothing(async () => {
        assertProblem(await post('/api/processes/nothingDeployed/instances', { body: {} }), 404, 'not-found');
        assertProblem(await get('quinn', `/api/instances/${MISSING}`), 404, 'not-found');
        assertProblem(await get('quinn', `/api/instances/${MISSING}/history`), 404, 'not-found');
        assertProblem(await post(`/api/tasks/${MISSING}/claim`, {}), 404, 'not-found');
        assertProblem(await post(`/api/tasks/${MISSING}/complete`, { body: {} }), 404, 'not-found');
        assertProblem(await post(`/api/incidents/${MISSING}/retry`, { body: {} }), 404, 'not-found');
        assert.deepEqual((await get('quinn', `/api/tasks?instanceId=${MISSING}`)).body.tasks, []);
      });
    });

    it('A2: refuses every process operation without a session, and starting to one who may not create records', async () => {
      await changesNothing(async () => {
        for (const { path, body } of posts()) {
          assertProblem(await api.request('POST', path, { body }), 401, 'unauthenticated');
        }
        for (const path of gets()) {
          assertProblem(await api.request('GET', path), 401, 'unauthenticated');
        }
        assertProblem(await start('approval', {}, 'petra'), 403, 'not-allowed');
        assertProblem(await start('approval', {}, 'adrian'), 403, 'not-allowed');
      });
    });
  });
});
