import assert from 'node:assert/strict';
import type { Principal } from '@attest/engine';
import { fixture } from '../../../engine/test/bpmn/execution/support.ts';
import { loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput, processState } from './support/refusals.ts';

const MISSING = '00000000-0000-4000-8000-00000000beef';

/** One BPMN file of its own per process: definitions, messages and signals around a process body. */
const bpmn = (id: string, declarations: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="${id}-definitions"
             targetNamespace="https://attest.example/test">
  ${declarations}
  <process id="${id}" isExecutable="true">
    ${body}
  </process>
</definitions>`;

/** A sample waits for its lab result, by sample id; then QA reviews it. */
const LAB_RESULT = bpmn(
  'awaitLabResult',
  '<message id="labResult" name="Lab result" attest:correlationKey="sampleId" />',
  `<startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="resultIn" />
    <intermediateCatchEvent id="resultIn"><messageEventDefinition messageRef="labResult" /></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="resultIn" targetRef="review" />
    <userTask id="review" name="Review the result" attest:candidateRoles="qa" />
    <sequenceFlow id="f3" sourceRef="review" targetRef="end" />
    <endEvent id="end" />`,
);

/** A complaint that comes in starts its own instance. */
const COMPLAINT = bpmn(
  'complaintIntake',
  '<message id="complaint" name="Complaint received" />',
  `<startEvent id="received"><messageEventDefinition messageRef="complaint" /></startEvent>
    <sequenceFlow id="f1" sourceRef="received" targetRef="assess" />
    <userTask id="assess" name="Assess the complaint" attest:candidateRoles="qa" />
    <sequenceFlow id="f2" sourceRef="assess" targetRef="end" />
    <endEvent id="end" />`,
);

/** A line waits for the line-stop signal, then clears the line. */
const LINE_STOP = bpmn(
  'awaitLineStop',
  '<signal id="lineStop" name="Line stop" />',
  `<startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="stopped" />
    <intermediateCatchEvent id="stopped"><signalEventDefinition signalRef="lineStop" /></intermediateCatchEvent>
    <sequenceFlow id="f2" sourceRef="stopped" targetRef="clear" />
    <userTask id="clear" name="Clear the line" attest:candidateRoles="operator" />
    <sequenceFlow id="f3" sourceRef="clear" targetRef="end" />
    <endEvent id="end" />`,
);

/** A service task whose handler nobody registered, with no retries: its job fails at once. */
const NO_HANDLER = bpmn(
  'readMissingScale',
  '',
  `<startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="read" />
    <serviceTask id="read" name="Read the scale" attest:type="scale.missing" attest:retries="0" />
    <sequenceFlow id="f2" sourceRef="read" targetRef="end" />
    <endEvent id="end" />`,
);

describe('Feature: messages, signals, failed jobs and migration over HTTP', () => {
  let api: TestApi;
  let quinn: Principal;
  let olivia: Principal;
  let adrian: Principal;
  const tokens: Partial<Record<DemoUser, string>> = {};
  const token = (who: DemoUser) => tokens[who]!;

  before(async () => {
    api = await startTestApi();
    quinn = await loginAs(api.ctx.engine, 'quinn');
    olivia = await loginAs(api.ctx.engine, 'olivia');
    adrian = await loginAs(api.ctx.engine, 'adrian');
    for (const xml of [LAB_RESULT, COMPLAINT, LINE_STOP, NO_HANDLER]) {
      await api.ctx.engine.processes.deploy(quinn, xml);
    }
  });
  beforeEach(async () => {
    for (const who of ['olivia', 'quinn', 'petra', 'adrian'] as const) tokens[who] = await api.login(who);
  });
  after(() => api.close());

  const post = (who: DemoUser, path: string, body: unknown) =>
    api.request('POST', path, { token: token(who), body });
  const get = (who: DemoUser, path: string) => api.request('GET', path, { token: token(who) });
  const start = (key: string, variables: Record<string, unknown> = {}) =>
    api.ctx.engine.processes.start(olivia, key, { variables });

  /** Runs the requests, each of which must be refused, and checks that nothing changed at all. */
  const changesNothing = changesNothingTo(() =>
    processState(api.ctx.engine, { qa: quinn, operator: olivia, admin: adrian }),
  );

  describe('POST /api/messages', () => {
    it('delivers a message to the token waiting for its correlation key, with its variables', async () => {
      // Given two samples waiting for their lab results
      const first = await start('awaitLabResult', { sampleId: 'S-1' });
      const second = await start('awaitLabResult', { sampleId: 'S-2' });
      assert.deepEqual(second.activeElements, [{ elementId: 'resultIn', waitsFor: 'message' }]);
      assert.equal(second.parentInstanceId, null);
      // When the result of the second comes in
      const delivered = await post('olivia', '/api/messages', {
        name: 'Lab result',
        correlationKey: 'S-2',
        variables: { result: 'pass' },
      });
      // Then the second moves on to its review with the result, and the first still waits
      assert.equal(delivered.status, 200, delivered.text);
      assert.deepEqual(
        [delivered.body.started, delivered.body.instance.id, delivered.body.instance.variables.result],
        [false, second.id, 'pass'],
      );
      assert.deepEqual(delivered.body.instance.activeElements, [{ elementId: 'review', waitsFor: 'task' }]);
      assert.deepEqual((await get('quinn', `/api/instances/${second.id}`)).body, delivered.body.instance);
      assert.deepEqual((await get('quinn', `/api/instances/${first.id}`)).body.activeElements, [
        { elementId: 'resultIn', waitsFor: 'message' },
      ]);
    });

    it('starts the process whose start event the message triggers', async () => {
      const started = await post('olivia', '/api/messages', {
        name: 'Complaint received',
        correlationKey: null,
        variables: { product: 'Tablets 10 mg' },
      });
      assert.equal(started.status, 200, started.text);
      assert.deepEqual(
        [started.body.started, started.body.instance.key, started.body.instance.variables],
        [true, 'complaintIntake', { product: 'Tablets 10 mg' }],
      );
      assert.deepEqual(
        started.body.instance.openTasks.map((t: { elementId: string }) => t.elementId),
        ['assess'],
      );
    });

    it('answers 404 when nothing waits for the message, 403 without the authority, 400 for a bad body', async () => {
      await start('awaitLabResult', { sampleId: 'S-3' });
      await changesNothing(async () => {
        const nobody = await post('olivia', '/api/messages', { name: 'Nobody waits for this' });
        assert.match(assertProblem(nobody, 404, 'not-found').detail, /Nothing waits for message/);
        const otherKey = await post('olivia', '/api/messages', {
          name: 'Lab result',
          correlationKey: 'S-404',
        });
        assertProblem(otherKey, 404, 'not-found');
        assertProblem(await post('petra', '/api/messages', { name: 'Lab result' }), 403, 'not-allowed');
        expectInput(await post('olivia', '/api/messages', { name: '  ' }), '/name', 'pattern');
        expectInput(
          await post('olivia', '/api/messages', { name: 'x', correlationKey: 7 }),
          '/correlationKey',
          'type',
        );
        assertProblem(
          await api.request('POST', '/api/messages', { body: { name: 'x' } }),
          401,
          'unauthenticated',
        );
      });
    });
  });

  describe('POST /api/signals', () => {
    it('moves on every token waiting for the signal', async () => {
      const lines = [await start('awaitLineStop'), await start('awaitLineStop')];
      const broadcast = await post('olivia', '/api/signals', {
        name: 'Line stop',
        variables: { reason: 'jam' },
      });
      assert.equal(broadcast.status, 200, broadcast.text);
      assert.deepEqual(broadcast.body, { triggered: 2, started: 0 });
      for (const line of lines) {
        const read = (await get('olivia', `/api/instances/${line.id}`)).body;
        assert.deepEqual(
          [read.activeElements, read.variables.reason],
          [[{ elementId: 'clear', waitsFor: 'task' }], 'jam'],
        );
      }
      // A signal nothing waits for is no error: it reaches nobody
      const again = await post('olivia', '/api/signals', { name: 'Line stop' });
      assert.deepEqual([again.status, again.body], [200, { triggered: 0, started: 0 }]);
    });

    it('refuses a broadcast without the authority, or without a name', async () => {
      await start('awaitLineStop');
      await changesNothing(async () => {
        assertProblem(await post('petra', '/api/signals', { name: 'Line stop' }), 403, 'not-allowed');
        expectInput(await post('olivia', '/api/signals', {}), '/name', 'required');
        expectInput(
          await post('olivia', '/api/signals', { name: 'Line stop', variables: [] }),
          '/variables',
          'type',
        );
      });
    });
  });

  describe('GET /api/jobs/failed', () => {
    it('lists the jobs that gave up, for one instance or all', async () => {
      // Given a service task whose handler is missing and which may not retry
      const instance = await start('readMissingScale');
      assert.deepEqual(instance.activeElements, [{ elementId: 'read', waitsFor: 'job' }]);
      // When its job runs, then it fails for good and its token becomes an incident
      await api.ctx.engine.jobs.runDue();
      const listed = await get('olivia', `/api/jobs/failed?instanceId=${instance.id}`);
      assert.equal(listed.status, 200, listed.text);
      const [job, ...others] = listed.body.jobs;
      assert.equal(others.length, 0);
      assert.deepEqual(
        [job.instanceId, job.elementId, job.kind, job.attempts],
        [instance.id, 'read', 'service', 1],
      );
      assert.match(job.error, /No handler is registered for attest:type "scale.missing"/);
      const all = await get('quinn', '/api/jobs/failed');
      assert.ok(all.body.jobs.some((j: { id: string }) => j.id === job.id));
      assert.deepEqual((await get('quinn', `/api/instances/${instance.id}`)).body.activeElements, [
        { elementId: 'read', waitsFor: 'incident' },
      ]);
      assert.deepEqual((await get('quinn', `/api/jobs/failed?instanceId=${MISSING}`)).body.jobs, []);
    });

    it('refuses a filter that is not an instance id, and a caller without a session', async () => {
      expectInput(await get('olivia', '/api/jobs/failed?instanceId=nope'), '/instanceId');
      expectInput(await get('olivia', '/api/jobs/failed?kind=service'), '/kind', 'additionalProperties');
      assertProblem(await api.request('GET', '/api/jobs/failed'), 401, 'unauthenticated');
    });
  });

  describe('POST /api/instances/{id}/migrate', () => {
    let v1: string;
    let v2: string;
    let atB: string;
    let taskB: string;

    before(async () => {
      // An instance of version 1 waits at B; version 2 renamed B to B2 and added C after it
      const deployed = async (name: string) =>
        (await api.ctx.engine.processes.deploy(quinn, fixture(name))).definitions[0]!.id;
      v1 = await deployed('migration-v1.bpmn');
      const started = await start('changeReview');
      const waiting = await api.ctx.engine.tasks.complete(quinn, started.openTasks[0]!.id);
      [atB, taskB] = [waiting.id, waiting.openTasks[0]!.id];
      v2 = await deployed('migration-v2.bpmn');
    });
    const migrate = (who: DemoUser, id: string, body: object) =>
      post(who, `/api/instances/${id}/migrate`, body);

    it('reports in a dry run what cannot be mapped, and refuses that migration naming each element', async () => {
      await changesNothing(async () => {
        const plan = await migrate('quinn', atB, { targetDefinitionId: v2, dryRun: true });
        assert.equal(plan.status, 200, plan.text);
        assert.deepEqual(
          { ...plan.body, problems: plan.body.problems.map((p: { elementId: string }) => p.elementId) },
          {
            instanceId: atB,
            fromDefinitionId: v1,
            toDefinitionId: v2,
            fromVersion: 1,
            toVersion: 2,
            mappable: false,
            moves: [],
            problems: ['B'],
          },
        );
        const refused = await migrate('quinn', atB, { targetDefinitionId: v2, mapping: { X: 'B2' } });
        const problem = assertProblem(refused, 400, 'input');
        assert.deepEqual(problem.errors?.map((e) => [e.pointer, e.keyword]).sort(), [
          ['/mapping/B', 'migration'],
          ['/mapping/X', 'migration'],
        ]);
      });
    });

    it('migrates with a mapping: the task waits at B2, then the instance goes on along version 2', async () => {
      const migrated = await migrate('quinn', atB, { targetDefinitionId: v2, mapping: { B: 'B2' } });
      assert.equal(migrated.status, 200, migrated.text);
      assert.deepEqual([migrated.body.mappable, migrated.body.moves], [true, [{ from: 'B', to: 'B2' }]]);
      const { instance } = migrated.body;
      assert.deepEqual(
        [instance.definitionId, instance.version, instance.activeElements],
        [v2, 2, [{ elementId: 'B2', waitsFor: 'task' }]],
      );
      assert.deepEqual((await get('quinn', `/api/instances/${atB}`)).body, instance);
      const history = (await get('quinn', `/api/instances/${atB}/history`)).body.events;
      assert.equal(history.at(-1).type, 'instance.migrated');
      const next = await post('quinn', `/api/tasks/${taskB}/complete`, {});
      assert.equal(next.status, 200, next.text);
      assert.deepEqual(next.body.activeElements, [{ elementId: 'C', waitsFor: 'task' }]);
      assert.equal((await api.ctx.engine.verify()).ok, true);
    });

    it('refuses without the authority (403), an unknown instance (404), an ended one (409) and a bad body (400)', async () => {
      const running = await start('changeReview');
      await changesNothing(async () => {
        assertProblem(
          await migrate('olivia', running.id, { targetDefinitionId: v1, dryRun: true }),
          403,
          'not-allowed',
        );
        assertProblem(await migrate('quinn', MISSING, { targetDefinitionId: v1 }), 404, 'not-found');
        // The instance runs version 2, the latest, already
        expectInput(await migrate('quinn', running.id, { targetDefinitionId: v2 }), '/targetDefinitionId');
        expectInput(
          await migrate('quinn', running.id, { targetDefinitionId: 'v1' }),
          '/targetDefinitionId',
          'format',
        );
        expectInput(
          await migrate('quinn', running.id, { targetDefinitionId: v1, mapping: { A: 7 } }),
          '/mapping/A',
          'type',
        );
        expectInput(
          await migrate('quinn', running.id, { targetDefinitionId: v1, mapping: { ['A'.repeat(201)]: 'A' } }),
          `/mapping/${'A'.repeat(201)}`,
          'propertyNames',
        );
      });
      let done = await api.ctx.engine.tasks.complete(quinn, running.openTasks[0]!.id);
      done = await api.ctx.engine.tasks.complete(quinn, done.openTasks[0]!.id);
      done = await api.ctx.engine.tasks.complete(quinn, done.openTasks[0]!.id);
      assert.equal(done.status, 'completed');
      await changesNothing(async () => {
        const refused = await migrate('quinn', done.id, { targetDefinitionId: v1 });
        assert.match(assertProblem(refused, 409, 'conflict').detail, /has completed/);
      });
    });
  });
});
