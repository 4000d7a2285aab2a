import assert from 'node:assert/strict';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { makeEffective, shippedPackage } from './support/templatePackage.ts';
import { deviationReport } from './support/deviationReport.ts';

interface Task {
  id: string;
  elementId: string;
}

/**
 * The Deviation and CAPA templates end to end through the HTTP API, as the demo users: Olivia
 * (operator) reports, Quinn (QA) triages, investigates and plans, Petra (QP) approves, Oscar
 * (operator) carries out a CAPA action.
 */
describe('Feature: the Deviation and CAPA templates, end to end through the API', () => {
  let api: TestApi;
  const tokens = {} as Record<DemoUser, string>;
  before(async () => {
    // A CAPA runs for months: passwords do not age out in the middle of this story
    api = await startTestApi({ settings: { passwordPolicy: { maxAgeDays: 0 } } });
    for (const u of ['olivia', 'oscar', 'quinn', 'petra'] as const) tokens[u] = await api.login(u);
    for (const id of ['capa', 'deviation'])
      await makeEffective(api, tokens, id, await shippedPackage(id, '1.0.0'));
  });
  after(() => api.close());

  function call(user: DemoUser, method: string, path: string, body?: unknown) {
    return api.request(method, path, { token: tokens[user], body });
  }
  const runJobs = () => api.ctx.engine.jobs.runDue();
  /** Time passes on the server's clock; everyone logs in again, as they would after days away. */
  async function later(minutes: number) {
    api.ctx.clock.advance(minutes);
    for (const u of ['olivia', 'oscar', 'quinn', 'petra'] as const) tokens[u] = await api.login(u);
    await runJobs();
  }
  const record = async (id: string) => {
    const response = await call('quinn', 'GET', `/api/records/${id}`);
    assert.equal(response.status, 200, response.text);
    return response.body as {
      id: string;
      number: string;
      status: string;
      instanceId: string;
      template: { id: string; version: string };
      openTasks: Task[];
      children: { id: string; number: string; status: string }[];
      parent: { id: string; number: string } | null;
      variables: Record<string, unknown>;
    };
  };
  const taskOf = async (recordId: string, elementId: string) => {
    const task = (await record(recordId)).openTasks.find((t) => t.elementId === elementId);
    assert.ok(task, `no open task ${elementId} on ${recordId}`);
    return task.id;
  };
  const complete = (user: DemoUser, taskId: string, data: Record<string, unknown>, extra: object = {}) =>
    call(user, 'POST', `/api/tasks/${taskId}/complete`, {
      data,
      signature: { password: demoPassword(user as DemoUser) },
      ...extra,
    });
  const ok = async (response: Promise<{ status: number; text: string }>) => {
    const r = await response;
    assert.equal(r.status, 200, r.text);
  };

  const report = deviationReport;
  const triage = (classification = 'major', investigationRequired = 'yes') => ({
    classification,
    justification: 'Possible contamination of a batch in progress.',
    ...(classification === 'critical' && { qpInformed: true }),
    investigationRequired,
    ...(investigationRequired === 'yes' && { investigationLead: 'quinn' }),
  });
  const investigation = (classification: string, capaRequired: string) => ({
    rootCauseMethod: 'five-why',
    why1: 'The liner tore when the drum was opened.',
    why2: 'The cutter blade was set too deep.',
    rootCause: 'The drum-opening tool has no depth stop.',
    batchImpact: 'B-2026-014 was not yet dispensed from this drum; no impact.',
    productImpact: 'none',
    classification,
    capaRequired,
  });

  /** Reports a deviation as Olivia and triages it as Quinn; returns the record id. */
  async function reported(batch?: string, classification?: string, investigationRequired?: string) {
    const started = await call('olivia', 'POST', '/api/records', {
      template: 'deviation',
      title: 'Torn liner on a lactose drum',
    });
    assert.equal(started.status, 201, started.text);
    const id = started.body.id as string;
    await ok(complete('olivia', await taskOf(id, 'report'), report(batch)));
    await ok(complete('quinn', await taskOf(id, 'triage'), triage(classification, investigationRequired)));
    return id;
  }

  it('D2: a deviation starts from the effective version, numbered by its pattern, pinned to that version', async () => {
    const started = await call('olivia', 'POST', '/api/records', { template: 'deviation', title: 'Spill' });
    assert.equal(started.status, 201, started.text);
    assert.match(started.body.number, /^DEV-\d{4}-\d{4}$/);
    assert.deepEqual(
      { id: started.body.template.id, version: started.body.template.version },
      { id: 'deviation', version: '1.0.0' },
    );
    assert.deepEqual(
      started.body.openTasks.map((t: Task) => t.elementId),
      ['report'],
    );
  });

  it('Scenario: the happy path — reported, triaged, investigated, approved by the QP, closed; the audit trail and signatures verify', async () => {
    const id = await reported();
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('major', 'no')));
    await ok(
      complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
    );
    const closed = await record(id);
    assert.equal(closed.status, 'closed');
    assert.deepEqual(closed.openTasks, []);
    const signatures = await call('quinn', 'GET', `/api/records/${id}/signatures`);
    assert.equal(signatures.status, 200, signatures.text);
    assert.deepEqual(
      signatures.body.signatures.map(
        (s: { manifestation: { userId: string }; meaning: string }) =>
          `${s.manifestation.userId}:${s.meaning}`,
      ),
      ['olivia:Performed', 'quinn:Reviewed', 'quinn:Performed', 'petra:Approved'],
    );
    assert.ok(
      signatures.body.signatures.every(
        (s: { contentChanged: boolean; manifestation: { text: string } }) =>
          !s.contentChanged &&
          / by .* on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/.test(s.manifestation.text),
      ),
    );
    // The record's audit trail holds its own events and its process's, every step and signature
    const audit = await call('quinn', 'GET', `/api/records/${id}/audit`);
    assert.equal(audit.status, 200, audit.text);
    const trail = (audit.body.events as { type: string }[]).map((e) => e.type);
    for (const type of ['record.created', 'process.started', 'form.values_entered', 'signature.applied'])
      assert.ok(trail.includes(type), `${type} in the record's audit trail`);
    assert.equal(trail.filter((t) => t === 'task.completed').length, 4);
    assert.equal((await api.ctx.engine.verify()).ok, true);
  });

  it('D4: a closed deviation is locked: its completed steps take no values, the record takes no direct change', async () => {
    const id = await reported();
    const investigate = await taskOf(id, 'investigate');
    await ok(complete('quinn', investigate, investigation('major', 'no')));
    await ok(
      complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
    );
    const closed = await record(id);
    assert.equal(closed.status, 'closed');
    const again = await call('quinn', 'PUT', `/api/tasks/${investigate}/values`, {
      data: { rootCause: 'Something else' },
      reason: 'Second thoughts',
    });
    assertProblem(again, 409, 'conflict');
    const principal = await api.ctx.engine.identity.authenticate(
      (await api.ctx.engine.identity.login({ username: 'quinn', password: demoPassword('quinn') })).sessionId,
    );
    await assert.rejects(
      api.ctx.engine.records.update(principal, id, {
        version: 1,
        changes: [{ path: '/rootCause', value: 'x' }],
        reason: 'Edit',
      }),
      /was started from a template: it is changed only through the steps of its process/,
    );
    const after = await call('quinn', 'GET', `/api/records/${id}/audit`);
    assert.ok(!(after.body.events as { type: string }[]).some((e) => e.type === 'record.updated'));
    assert.equal((await api.ctx.engine.verify()).ok, true);
  });

  it('B5: whoever investigated the deviation may not approve it; the QP may', async () => {
    const id = await reported();
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('major', 'no')));
    const approve = await taskOf(id, 'approve');
    const refused = await complete('quinn', approve, { classification: 'major', decision: 'approve' });
    assertProblem(refused, 403, 'not-allowed');
    assert.match(refused.body.detail, /quinn performed .* and may not also/);
    await ok(complete('petra', approve, { classification: 'major', decision: 'approve' }));
  });

  it('B3: a change of classification without a reason is refused and changes nothing; with a reason it is recorded', async () => {
    const id = await reported();
    const investigate = await taskOf(id, 'investigate');
    const refused = await complete('quinn', investigate, investigation('critical', 'no'));
    assertProblem(refused, 400, 'input');
    assert.match(
      refused.body.detail,
      /A reason is required to change Classification from "major" to "critical"/,
    );
    assert.equal(await taskOf(id, 'investigate'), investigate);
    await ok(
      complete('quinn', investigate, investigation('critical', 'no'), {
        reason: 'The liner fragments reached the sieve: product contact',
      }),
    );
    const history = await call('quinn', 'GET', `/api/instances/${(await record(id)).instanceId}/history`);
    const change = (
      history.body.events as { type: string; reason: string; payload: { changes: unknown[] } }[]
    ).find((e) => e.type === 'form.decision_changed');
    assert.deepEqual(change?.payload.changes, [{ path: '/classification', old: 'major', new: 'critical' }]);
    assert.equal(change?.reason, 'The liner fragments reached the sieve: product contact');
  });

  it('B3: a rejection at approval needs a reason, and sends the deviation back to the investigation', async () => {
    const id = await reported();
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('major', 'no')));
    const approve = await taskOf(id, 'approve');
    // The step view learns before completion that this step is signed and may be a rejection
    const step = await call('petra', 'GET', `/api/tasks/${approve}`);
    assert.equal(step.status, 200, step.text);
    assert.deepEqual(step.body.signature, { meaning: 'Approved', rejectable: true });
    assert.equal(step.body.record.id, id);
    const contract = await call('petra', 'GET', `/api/tasks/${approve}/form`);
    assert.deepEqual(contract.body.signature, { meaning: 'Approved', rejectable: true });
    const rejection = {
      classification: 'major',
      decision: 'reject',
      comments: 'The root cause is not proven.',
    };
    assertProblem(await complete('petra', approve, rejection), 400, 'input');
    await ok(
      complete('petra', approve, rejection, {
        signature: { password: demoPassword('petra'), reason: 'Root cause not proven by evidence' },
      }),
    );
    const back = await record(id);
    assert.deepEqual(
      back.openTasks.map((t) => t.elementId),
      ['investigate'],
    );
    assert.equal(back.status, 'investigation');
  });

  it('F5: a batch named by an open critical deviation is reported as such until the deviation closes', async () => {
    const id = await reported('B-2026-099', 'critical');
    const open = await call('petra', 'GET', '/api/batches/B-2026-099/deviations');
    assert.equal(open.status, 200, open.text);
    assert.equal(open.body.criticalOpen, true);
    assert.deepEqual(
      open.body.openDeviations.map((d: { id: string; classification: string }) => [d.id, d.classification]),
      [[id, 'critical']],
    );
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('critical', 'no')));
    await ok(
      complete('petra', await taskOf(id, 'approve'), { classification: 'critical', decision: 'approve' }),
    );
    const after = await call('petra', 'GET', '/api/batches/B-2026-099/deviations');
    assert.equal(after.body.criticalOpen, false);
    assert.deepEqual(after.body.openDeviations, []);
  });

  const plan = (owner = 'oscar') => ({
    problemStatement: 'Drum liners are torn when drums are opened.',
    capaSource: 'deviation',
    actions: [
      {
        description: 'Fit a depth stop to the drum-opening tool',
        owner,
        dueDate: '2026-12-15T12:00:00.000Z',
        type: 'corrective',
      },
    ],
    effectivenessCriteria: 'No torn liner at drum opening for three months.',
  });

  it('Scenario: a deviation raises a CAPA as its own linked record and closes only once the CAPA plan is approved', async () => {
    const id = await reported();
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('major', 'yes')));
    await runJobs();
    const deviation = await record(id);
    assert.equal(deviation.children.length, 1);
    const capaId = deviation.children[0]!.id;
    const capa = await record(capaId);
    assert.match(capa.number, /^CAPA-\d{4}-\d{4}$/);
    assert.deepEqual(capa.parent, { id, number: deviation.number });
    assert.deepEqual(
      deviation.openTasks.map((t) => t.elementId),
      [],
    );
    // The deviation waits while the plan is written and approved
    await ok(complete('quinn', await taskOf(capaId, 'plan'), plan()));
    await runJobs();
    assert.deepEqual((await record(id)).openTasks, []);
    const selfApproval = await complete('quinn', await taskOf(capaId, 'approvePlan'), {
      decision: 'approve',
    });
    assertProblem(selfApproval, 403, 'not-allowed');
    await ok(complete('petra', await taskOf(capaId, 'approvePlan'), { decision: 'approve' }));
    await runJobs();
    // Plan approved: the deviation goes on to its approval and closes, the CAPA runs on
    await ok(
      complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
    );
    assert.equal((await record(id)).status, 'closed');
    const running = await record(capaId);
    assert.equal(running.status, 'implementation');
    // The action is Oscar's alone, signed by him
    const action = await taskOf(capaId, 'doAction');
    assertProblem(
      await complete('olivia', action, { actionTaken: 'x', extensionRequested: 'no' }),
      403,
      'not-allowed',
    );
    await ok(
      complete('oscar', action, {
        actionTaken: 'Depth stop fitted and tested on ten drums.',
        evidenceReference: 'WO-5521',
        extensionRequested: 'no',
      }),
    );
    // The effectiveness check comes after the default period, 90 days
    await later(89 * 24 * 60);
    assert.deepEqual(
      (await record(capaId)).openTasks.map((t) => t.elementId),
      [],
    );
    await later(2 * 24 * 60);
    await ok(
      complete('quinn', await taskOf(capaId, 'checkEffectiveness'), {
        effectivenessEvidence: 'No torn liner in 412 drums opened since.',
        effective: 'yes',
      }),
    );
    assert.equal((await record(capaId)).status, 'closed');
    assert.equal((await api.ctx.engine.verify()).ok, true);
  });

  it('Scenario: a CAPA with a short effectiveness period; not effective goes back to plan; an extension needs approval with a reason', async () => {
    const started = await call('quinn', 'POST', '/api/records', {
      template: 'capa',
      title: 'Recurring label misprints',
      variables: { effectivenessPeriod: 'PT2H' },
    });
    assert.equal(started.status, 201, started.text);
    const id = started.body.id as string;
    await ok(complete('quinn', await taskOf(id, 'plan'), plan('olivia')));
    await ok(complete('petra', await taskOf(id, 'approvePlan'), { decision: 'approve' }));
    // Olivia asks for more time
    await ok(
      complete('olivia', await taskOf(id, 'doAction'), {
        actionTaken: 'Supplier audit booked.',
        extensionRequested: 'yes',
        newDueDate: '2027-01-31T12:00:00.000Z',
        extensionReason: 'The supplier can receive us only in January.',
      }),
    );
    const extension = await taskOf(id, 'approveExtension');
    assertProblem(await complete('olivia', extension, { extensionDecision: 'approve' }), 403, 'not-allowed');
    await ok(complete('petra', extension, { extensionDecision: 'approve' }));
    await ok(
      complete('olivia', await taskOf(id, 'doAction'), {
        actionTaken: 'Supplier audited; print head replaced.',
        extensionRequested: 'no',
      }),
    );
    // The timer fires after the configured two hours
    await later(119);
    assert.deepEqual((await record(id)).openTasks, []);
    await later(2);
    await ok(
      complete('quinn', await taskOf(id, 'checkEffectiveness'), {
        effectivenessEvidence: 'Two misprints found last week.',
        effective: 'no',
        ineffectiveReason: 'Misprints recur on the second line.',
      }),
    );
    const replanned = await record(id);
    assert.deepEqual(
      replanned.openTasks.map((t) => t.elementId),
      ['plan'],
    );
  });

  it('Scenario: a triage not done in time reminds QA after 36 hours and escalates to QA as overdue after 2 days', async () => {
    const started = await call('olivia', 'POST', '/api/records', {
      template: 'deviation',
      title: 'Late triage',
    });
    const id = started.body.id as string;
    await ok(complete('olivia', await taskOf(id, 'report'), report()));
    const stages = async () => (await record(id)).openTasks.map((t) => t.elementId).sort();
    assert.deepEqual(await stages(), ['triage']);
    await later(37 * 60);
    assert.deepEqual(await stages(), ['remindTriage', 'triage']);
    await later(12 * 60);
    assert.deepEqual(await stages(), ['followUpTriage', 'remindTriage', 'triage']);
    // The follow-up is QA's, and acknowledging it leaves the triage waiting
    await ok(
      call('quinn', 'POST', `/api/tasks/${await taskOf(id, 'followUpTriage')}/complete`, {
        data: { overdueReason: 'QA on leave', overdueFollowUp: 'Triage booked for tomorrow' },
      }),
    );
    assert.deepEqual(await stages(), ['remindTriage', 'triage']);
    // Once the triage is done, the reminder still open is withdrawn: nothing is left to chase
    await ok(complete('quinn', await taskOf(id, 'triage'), triage()));
    assert.deepEqual(await stages(), ['investigate']);
  });

  it('D2: a new version made effective while a record of the old one is in flight: the old record finishes on its version', async () => {
    const id = await reported();
    const files = await shippedPackage('deviation', '1.0.0');
    const manifest = JSON.parse(files['manifest.json']!);
    files['manifest.json'] = JSON.stringify({
      ...manifest,
      version: '1.1.0',
      changeReason: 'Due date of the investigation aligned with SOP QA-012 rev 4.',
    });
    const base = '/api/templates/deviation/versions/1.1.0';
    assert.equal((await call('quinn', 'POST', '/api/templates', { files })).status, 201);
    await ok(call('quinn', 'POST', `${base}/submit`));
    await ok(call('petra', 'POST', `${base}/approve`, { password: demoPassword('petra') }));
    await ok(call('quinn', 'POST', `${base}/effective`));
    const old = await call('quinn', 'GET', '/api/templates/deviation/versions/1.0.0');
    assert.equal(old.body.status, 'superseded');
    const fresh = await call('olivia', 'POST', '/api/records', { template: 'deviation', title: 'New one' });
    assert.equal(fresh.body.template.version, '1.1.0');
    // The record in flight is still on 1.0.0 and finishes there
    assert.equal((await record(id)).template.version, '1.0.0');
    await ok(complete('quinn', await taskOf(id, 'investigate'), investigation('major', 'no')));
    await ok(
      complete('petra', await taskOf(id, 'approve'), { classification: 'major', decision: 'approve' }),
    );
    const closed = await record(id);
    assert.equal(closed.status, 'closed');
    assert.equal(closed.template.version, '1.0.0');
  });
});
