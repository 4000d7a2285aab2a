import assert from 'node:assert/strict';
import type { Principal } from '@attest/engine';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type ApiResponse, type DemoUser, type TestApi } from './support/api.ts';
import { shippedPackage, testManifest, testPackage, TEMPLATE_ID } from './support/templatePackage.ts';
import { deviationReport } from './support/deviationReport.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

interface Task {
  id: string;
  elementId: string;
}

interface SignatureBody {
  id: string;
  meaning: string;
  reason: string | null;
  manifestation: { userId: string };
  withdrawn: { reason: string } | null;
}

/**
 * A test template whose process stops on an incident (no flow matches while `quantity` is
 * missing), then waits for a message correlated on the record number and for a signal, then
 * for the operator's report.
 */
const waitingProcess = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="https://attest.example/test">
  <message id="sample" name="Sample received" attest:correlationKey="recordNumber" />
  <signal id="cleared" name="Area cleared" />
  <process id="${TEMPLATE_ID}" name="Test deviation" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="route" />
    <exclusiveGateway id="route" />
    <sequenceFlow id="f2" sourceRef="route" targetRef="waitSample">
      <conditionExpression xsi:type="tFormalExpression">quantity &lt; 10</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f3" sourceRef="route" targetRef="waitSample">
      <conditionExpression xsi:type="tFormalExpression">quantity &gt;= 10</conditionExpression>
    </sequenceFlow>
    <intermediateCatchEvent id="waitSample" name="Sample received">
      <messageEventDefinition messageRef="sample" />
    </intermediateCatchEvent>
    <sequenceFlow id="f4" sourceRef="waitSample" targetRef="waitArea" />
    <intermediateCatchEvent id="waitArea" name="Area cleared">
      <signalEventDefinition signalRef="cleared" />
    </intermediateCatchEvent>
    <sequenceFlow id="f5" sourceRef="waitArea" targetRef="report" />
    <userTask id="report" name="Report" attest:formKey="report" attest:candidateRoles="operator" />
    <sequenceFlow id="f6" sourceRef="report" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
`;

/**
 * The ways around review and segregation of duties that a QA user, an operator or a barred
 * reviewer could take over the HTTP API, on an installation in production (not in development
 * mode), each refused with nothing changed; and the proper ways, signed and audited.
 */
describe('Feature: no route around the template lifecycle; signatures obey the same rules everywhere', () => {
  let api: TestApi;
  let adrian: Principal;
  const tokens = {} as Record<DemoUser, string>;

  const call = (user: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[user], body });
  const ok = async (response: Promise<ApiResponse>, status = 200) => {
    const r = await response;
    assert.equal(r.status, status, r.text);
    return r;
  };

  /** Imports, submits, approves (Petra) and makes effective a template version. */
  async function makeEffective(files: Record<string, string>) {
    const { id, version } = JSON.parse(files['manifest.json']!) as { id: string; version: string };
    await ok(call('quinn', 'POST', '/api/templates', { files }), 201);
    const base = `/api/templates/${id}/versions/${version}`;
    await ok(call('quinn', 'POST', `${base}/submit`));
    await ok(call('petra', 'POST', `${base}/approve`, { password: demoPassword('petra') }));
    return (await ok(call('quinn', 'POST', `${base}/effective`))).body as { definitionId: string };
  }

  before(async () => {
    api = await startTestApi({ settings: { development: false, passwordPolicy: { maxAgeDays: 0 } } });
    adrian = await loginAs(api.ctx.engine, 'adrian');
    for (const u of ['olivia', 'oscar', 'quinn', 'petra', 'adrian'] as const) tokens[u] = await api.login(u);
    for (const id of ['capa', 'deviation']) await makeEffective(await shippedPackage(id, '1.0.0'));
    await makeEffective(testPackage('1.0.0', { process: waitingProcess }));
  });
  after(() => api.close());

  /** The whole audit trail: a refused request must leave it as it was. */
  const trailLength = async () => (await api.ctx.engine.audit.trail(adrian, { limit: 1_000_000 })).length;
  const changesNothing = changesNothingTo(trailLength, 'a refused request wrote to the audit trail');

  const record = async (id: string) =>
    (await ok(call('quinn', 'GET', `/api/records/${id}`))).body as {
      id: string;
      number: string;
      status: string;
      instanceId: string;
      template: { id: string; version: string; versionId: string };
      openTasks: Task[];
      variables: Record<string, unknown>;
    };
  const taskOf = async (recordId: string, elementId: string) => {
    const task = (await record(recordId)).openTasks.find((t) => t.elementId === elementId);
    assert.ok(task, `no open task ${elementId} on ${recordId}`);
    return task.id;
  };
  const complete = (user: DemoUser, taskId: string, data: Record<string, unknown>) =>
    call(user, 'POST', `/api/tasks/${taskId}/complete`, {
      data,
      signature: { password: demoPassword(user) },
    });
  const signatures = async (recordId: string) =>
    (await ok(call('quinn', 'GET', `/api/records/${recordId}/signatures`))).body
      .signatures as SignatureBody[];

  const report = deviationReport();
  const triage = {
    classification: 'major',
    justification: 'Possible contamination of a batch in progress.',
    investigationRequired: 'yes',
    investigationLead: 'quinn',
  };
  const investigation = {
    rootCauseMethod: 'five-why',
    why1: 'The liner tore when the drum was opened.',
    why2: 'The cutter blade was set too deep.',
    rootCause: 'The drum-opening tool has no depth stop.',
    batchImpact: 'B-2026-014 was not yet dispensed from this drum; no impact.',
    productImpact: 'none',
    classification: 'major',
    capaRequired: 'no',
  };

  /** A deviation reported by Olivia; triaged by Quinn unless told otherwise. */
  async function deviation(steps: 'reported' | 'triaged' | 'investigated' = 'triaged') {
    const started = await ok(
      call('olivia', 'POST', '/api/records', { template: 'deviation', title: 'Torn liner' }),
      201,
    );
    const id = started.body.id as string;
    await ok(complete('olivia', await taskOf(id, 'report'), report));
    if (steps === 'reported') return id;
    await ok(complete('quinn', await taskOf(id, 'triage'), triage));
    if (steps === 'triaged') return id;
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation));
    return id;
  }

  describe('deploying, starting and migrating around review', () => {
    it('D1: outside development mode no process is deployed or started directly, a template’s least of all', async () => {
      const original = (await shippedPackage('deviation', '1.0.0'))['process.bpmn']!;
      // The approval step without its segregation of duties
      const unsegregated = original.replace(/ attest:separateFrom="[^"]*"/g, '');
      assert.notEqual(unsegregated, original);
      const before = (await ok(call('quinn', 'GET', '/api/processes'))).body.definitions.length;
      await changesNothing(async () => {
        assertProblem(
          await call('quinn', 'POST', '/api/processes', { xml: unsegregated }),
          403,
          'not-allowed',
        );
        assertProblem(
          await call('quinn', 'POST', '/api/processes', {
            xml: waitingProcess.replaceAll(`"${TEMPLATE_ID}"`, '"sideline"'),
          }),
          403,
          'not-allowed',
        );
        for (const key of ['deviation', 'sideline']) {
          assertProblem(
            await call('olivia', 'POST', `/api/processes/${key}/instances`, { variables: {} }),
            403,
            'not-allowed',
          );
        }
      });
      assert.equal((await ok(call('quinn', 'GET', '/api/processes'))).body.definitions.length, before);
    });

    it('D1: a record moves only to the effective version of its own template, by QA’s signed move, and then shows that version', async () => {
      const id = await deviation('reported');
      const old = await record(id);
      assert.equal(old.template.version, '1.0.0');
      const migrate = (who: DemoUser, body: Record<string, unknown>) =>
        call(who, 'POST', `/api/instances/${old.instanceId}/migrate`, body);

      // 1.1.0 approved and effective: the only version the record may move to
      const files = await shippedPackage('deviation', '1.0.0');
      files['manifest.json'] = JSON.stringify({
        ...JSON.parse(files['manifest.json']!),
        version: '1.1.0',
        changeReason: 'Approval step named after SOP QA-012 rev 4.',
      });
      files['process.bpmn'] = files['process.bpmn']!.replace(
        'name="QA approval"',
        'name="QA approval (QA-012)"',
      );
      const { definitionId: effective } = await makeEffective(files);
      const capa = (await ok(call('quinn', 'GET', '/api/templates/capa/versions/1.0.0'))).body.definitionId;
      const fresh = await ok(
        call('olivia', 'POST', '/api/records', { template: 'deviation', title: 'On 1.1.0' }),
        201,
      );
      const superseded = old.template.versionId;
      const supersededDefinition = (await ok(call('quinn', 'GET', '/api/templates/deviation/versions/1.0.0')))
        .body.definitionId as string;
      assert.ok(superseded && supersededDefinition);
      const signature = {
        password: demoPassword('quinn'),
        reason: 'SOP QA-012 rev 4 applies to open deviations',
      };

      await changesNothing(async () => {
        // Another template's process, and a version that is no longer effective
        expectInput(await migrate('quinn', { targetDefinitionId: capa, signature }), '/targetDefinitionId');
        expectInput(
          await call('quinn', 'POST', `/api/instances/${fresh.body.instanceId}/migrate`, {
            targetDefinitionId: supersededDefinition,
            signature,
          }),
          '/targetDefinitionId',
        );
        // Unsigned, without a reason, with a wrong password, by an operator
        expectInput(await migrate('quinn', { targetDefinitionId: effective }), '/signature/password');
        expectInput(
          await migrate('quinn', {
            targetDefinitionId: effective,
            signature: { password: demoPassword('quinn') },
          }),
          '/signature/reason',
        );
        assertProblem(
          await migrate('olivia', {
            targetDefinitionId: effective,
            signature: { ...signature, password: demoPassword('olivia') },
          }),
          403,
          'not-allowed',
        );
        // A dry run needs no signature and changes nothing
        const dry = await ok(migrate('quinn', { targetDefinitionId: effective, dryRun: true }));
        assert.equal(dry.body.mappable, true);
      });
      // A wrong password moves nothing (the failed attempt is a security event)
      assertProblem(
        await migrate('quinn', {
          targetDefinitionId: effective,
          signature: { ...signature, password: 'wrong-1' },
        }),
        401,
        'unauthenticated',
      );
      assert.equal((await record(id)).template.version, '1.0.0');

      const moved = await ok(migrate('quinn', { targetDefinitionId: effective, signature }));
      assert.equal(moved.body.toDefinitionId, effective);
      const after = await record(id);
      assert.deepEqual([after.template.version, after.template.versionId === superseded], ['1.1.0', false]);
      const dossier = await ok(call('quinn', 'GET', `/api/records/${id}/dossier`));
      assert.equal(dossier.body.record.template.version, '1.1.0');
      const signed = (await signatures(id)).find((s) => s.manifestation.userId === 'quinn');
      assert.ok(signed, 'the move is signed');
      assert.equal(signed.meaning, 'Approved');
      assert.match(signed.reason ?? '', /^Moved from deviation 1\.0\.0 to 1\.1\.0: SOP QA-012 rev 4/);
      const trail = (await ok(call('quinn', 'GET', `/api/records/${id}/audit`))).body.events as {
        type: string;
        reason: string | null;
      }[];
      const migrated = trail.find((e) => e.type === 'record.migrated');
      assert.equal(migrated?.reason, signature.reason);
      assert.ok(trail.some((e) => e.type === 'instance.migrated'));
      // The record goes on, on its new version
      await ok(complete('quinn', await taskOf(id, 'triage'), triage));
      assert.equal((await api.ctx.engine.verify()).ok, true);
    });
  });

  describe('ad-hoc signatures on a record', () => {
    const sign = (who: DemoUser, recordId: string, meaning: string) =>
      call(who, 'POST', `/api/records/${recordId}/signatures`, {
        meaning,
        password: demoPassword(who),
        reason: 'Reviewed by exception',
      });

    it('B5: whoever the approval step bars by separateFrom signs no Approved on the record, before or after it closes', async () => {
      const id = await deviation('investigated');
      const count = (await signatures(id)).length;
      await changesNothing(async () => {
        // Quinn triaged and investigated it; Olivia reported it
        const barred = assertProblem(await sign('quinn', id, 'Approved'), 403, 'not-allowed');
        assert.match(barred.detail, /quinn performed .*QA triage.* and may not sign it as Approved/);
        assertProblem(await sign('quinn', id, 'Reviewed'), 403, 'not-allowed');
      });
      await ok(
        complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
      );
      assert.equal((await record(id)).status, 'closed');
      await changesNothing(async () => {
        assertProblem(await sign('quinn', id, 'Approved'), 409, 'conflict');
        // Nobody signs a closed record, however uninvolved
        const closed = assertProblem(await sign('petra', id, 'Reviewed'), 409, 'conflict');
        assert.match(closed.detail, /is closed/);
      });
      assert.equal((await signatures(id)).length, count + 1, 'only the approval step signed');
    });

    it('B5: the same signature asked for twice is given once; the second request is a conflict', async () => {
      const id = await deviation('triaged');
      const first = await ok(sign('petra', id, 'Reviewed'), 201);
      await changesNothing(async () => {
        const again = assertProblem(await sign('petra', id, 'Reviewed'), 409, 'conflict');
        assert.match(again.detail, new RegExp(first.body.id as string));
      });
      const [a, b] = await Promise.all([sign('petra', id, 'Approved'), sign('petra', id, 'Approved')]);
      assert.deepEqual([a.status, b.status].sort(), [201, 409]);
      assert.deepEqual(
        (await signatures(id))
          .filter((s) => s.manifestation.userId === 'petra')
          .map((s) => s.meaning)
          .sort(),
        ['Approved', 'Reviewed'],
      );
    });
  });

  describe('incidents, messages and signals into a record', () => {
    it('A2: an operator neither corrects variables on a retry nor sends a message or signal into a record; QA does, with a reason, audited old and new', async () => {
      const started = await ok(
        call('olivia', 'POST', '/api/records', { template: TEMPLATE_ID, title: 'Waits for a sample' }),
        201,
      );
      const { id, number, instanceId } = started.body as { id: string; number: string; instanceId: string };
      const incidents = (await ok(call('quinn', 'GET', `/api/incidents?instanceId=${instanceId}`))).body
        .incidents as { id: string }[];
      assert.equal(incidents.length, 1);
      const retry = (who: DemoUser, body: object) =>
        call(who, 'POST', `/api/incidents/${incidents[0]!.id}/retry`, body);
      const message = (who: DemoUser, body: object) =>
        call(who, 'POST', '/api/messages', {
          name: 'Sample received',
          correlationKey: number,
          variables: { classification: 'critical' },
          ...body,
        });
      const signal = (who: DemoUser, body: object) =>
        call(who, 'POST', '/api/signals', {
          name: 'Area cleared',
          variables: { classification: 'minor' },
          ...body,
        });

      await changesNothing(async () => {
        assertProblem(
          await retry('olivia', { variables: { quantity: 5 }, reason: 'Typo' }),
          403,
          'not-allowed',
        );
        expectInput(await retry('quinn', { variables: { quantity: 5 } }), '/reason');
      });
      const reason = 'Quantity from the batch order BO-2231';
      await ok(retry('quinn', { variables: { quantity: 5 }, reason }));

      await changesNothing(async () => {
        assertProblem(await message('olivia', { reason: 'Sample arrived' }), 403, 'not-allowed');
        expectInput(await message('quinn', {}), '/reason');
      });
      assert.equal((await record(id)).variables.classification, 'minor');
      await ok(message('quinn', { reason: 'Sample SR-77 received in the lab' }));

      await changesNothing(async () => {
        assertProblem(await signal('olivia', { reason: 'Cleared' }), 403, 'not-allowed');
        expectInput(await signal('quinn', {}), '/reason');
      });
      const broadcast = await ok(signal('quinn', { reason: 'Line 2 cleared by QA walk-down' }));
      assert.equal(broadcast.body.triggered, 1);

      const trail = (await ok(call('quinn', 'GET', `/api/instances/${instanceId}/history`))).body.events as {
        type: string;
        reason: string | null;
        actorName: string;
        payload: { changes?: { path: string; old?: unknown; new: unknown }[] };
      }[];
      const retried = trail.find((e) => e.type === 'incident.retried')!;
      assert.equal(retried.reason, reason);
      assert.deepEqual(
        retried.payload.changes?.map((c) => [c.path, c.new]),
        [['/quantity', 5]],
      );
      const correlated = trail.find((e) => e.type === 'message.correlated')!;
      assert.equal(correlated.reason, 'Sample SR-77 received in the lab');
      assert.deepEqual(correlated.payload.changes, [
        { path: '/classification', old: 'minor', new: 'critical' },
      ]);
      const received = trail.find((e) => e.type === 'signal.received')!;
      assert.equal(received.reason, 'Line 2 cleared by QA walk-down');
      assert.deepEqual(received.payload.changes, [
        { path: '/classification', old: 'critical', new: 'minor' },
      ]);
      assert.deepEqual(
        (await record(id)).openTasks.map((t) => t.elementId),
        ['report'],
      );
      assert.equal((await api.ctx.engine.verify()).ok, true);
    });
  });

  describe('withdrawing a signature', () => {
    it('B7: a withdrawn step signature flags the record and never stops it: the record closes and verify holds', async () => {
      const id = await deviation('reported');
      const [performed] = (await signatures(id)).filter((s) => s.manifestation.userId === 'olivia');
      assert.ok(performed);
      const withdraw = (who: DemoUser, body: object) =>
        call(who, 'POST', `/api/signatures/${performed.id}/withdraw`, body);
      await changesNothing(async () => {
        // Only the signer withdraws, with the password and a reason
        assertProblem(
          await withdraw('quinn', { password: demoPassword('quinn'), reason: 'Not mine to keep' }),
          403,
          'not-allowed',
        );
        expectInput(await withdraw('olivia', { password: demoPassword('olivia') }), '/reason');
      });
      assertProblem(
        await withdraw('olivia', { password: 'wrong-password-1', reason: 'Wrong drum' }),
        401,
        'unauthenticated',
      );
      assert.equal((await signatures(id)).find((s) => s.id === performed.id)?.withdrawn, null);
      const withdrawn = await ok(
        withdraw('olivia', { password: demoPassword('olivia'), reason: 'I reported the wrong drum number' }),
      );
      assert.equal(withdrawn.body.withdrawn.reason, 'I reported the wrong drum number');

      // The record is flagged for QA ...
      const dossier = await ok(call('quinn', 'GET', `/api/records/${id}/dossier`));
      const flag = (dossier.body.exceptions as { type: string; severity: string; message: string }[]).find(
        (e) => e.type === 'signature_withdrawn',
      );
      assert.ok(flag, 'the withdrawal is an exception on the record');
      assert.equal(flag.severity, 'high');
      assert.match(
        flag.message,
        /Olivia Ortega withdrew their Performed signature of step .*needs signing again/,
      );
      assert.equal((await api.ctx.engine.verify()).ok, true);

      // ... and its process goes on to the end
      await ok(complete('quinn', await taskOf(id, 'triage'), triage));
      await ok(complete('quinn', await taskOf(id, 'investigate'), investigation));
      await ok(
        complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
      );
      assert.equal((await record(id)).status, 'closed');
      const report = await api.ctx.engine.verify();
      assert.equal(report.ok, true, JSON.stringify({ breaks: report.breaks, mismatches: report.mismatches }));
      const [again] = (await signatures(id)).filter((s) => s.id === performed.id);
      assert.equal(again?.withdrawn?.reason, 'I reported the wrong drum number');
    });
  });
});

describe('Feature: development mode keeps template processes inside their lifecycle', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  it('D1: a template’s process is never deployed directly, even in development mode', async () => {
    const quinn = await api.login('quinn');
    const files = testPackage('1.0.0', { manifest: testManifest('1.0.0') });
    assert.equal(
      (await api.request('POST', '/api/templates', { token: quinn, body: { files } })).status,
      201,
    );
    const response = await api.request('POST', '/api/processes', {
      token: quinn,
      body: { xml: files['process.bpmn'] },
    });
    const problem = assertProblem(response, 400, 'input');
    assert.deepEqual(
      problem.errors?.map((e) => e.pointer),
      [`/elements/${TEMPLATE_ID}`],
    );
  });
});
