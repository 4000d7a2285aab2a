import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { cleanEquipment, releasedLot } from '../../../engine/test/support/gates.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { makeEffective, shippedPackage } from './support/templatePackage.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

const PRINTOUTS = fileURLToPath(new URL('../../../.test-output/printouts/', import.meta.url));
/** pdftotext reads the printout back (poppler-utils; CI installs it). */
const POPPLER = !spawnSync('pdftotext', ['-v']).error;

interface Task {
  id: string;
  elementId: string;
  name: string;
}

/** The shipped recipe PCM-500 at a batch of 100 kg: each line's target is its quantity per kg × 100. */
const BATCH_SIZE = 100;
const WEIGHTS: Record<string, number> = {
  'API-PCM': 80.02,
  'EXC-MCC': 12.3, // target 12 kg ± 1 %: above 12.12 kg, a blocking exception
  'EXC-PVP': 3.01,
  'EXC-CCS': 3.99,
  'EXC-MGS': 1.0,
};
/** A value within the action and alert limits of each processing step of the recipe. */
const PROCESS_VALUES = [5.1, 60.2, 1.2, 10, 101, 652];

/**
 * Feature: the batch-record template end to end through the HTTP API.
 * Olivia (operator) runs the batch, Oscar (operator) is the second person, Quinn (QA) dispositions
 * the exception, reviews the audit trail and reviews the batch.
 */
describe('Feature: a batch record from its order to ready for release, through the API', () => {
  let api: TestApi;
  const tokens = {} as Record<DemoUser, string>;
  const lots: Record<string, string> = {};
  before(async () => {
    api = await startTestApi();
    for (const u of ['olivia', 'oscar', 'quinn', 'petra'] as const) tokens[u] = await api.login(u);
    for (const id of ['deviation', 'batch-record'])
      await makeEffective(api, tokens, id, await shippedPackage(id, '1.0.0'));
    // Released lots of the recipe's materials and clean equipment: what the gates let through (F3, F2).
    for (const material of ['API-PCM', 'EXC-MCC', 'EXC-PVP', 'EXC-CCS', 'EXC-MGS'])
      lots[material] = await releasedLot(api.ctx.engine, material, [100, 100]);
    await cleanEquipment(api.ctx.engine, 'EQ-0042', 'High-shear granulator');
  });
  after(() => api.close());

  const call = (user: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[user], body });
  const ok = async <T extends { status: number; text: string }>(response: Promise<T>, status = 200) => {
    const r = await response;
    assert.equal(r.status, status, r.text);
    return r;
  };
  const record = async (id: string) => (await ok(call('quinn', 'GET', `/api/records/${id}`))).body;
  const openTask = async (recordId: string, elementId: string): Promise<Task> => {
    const task = ((await record(recordId)).openTasks as Task[]).find((t) => t.elementId === elementId);
    assert.ok(task, `no open task ${elementId}`);
    return task;
  };
  const signed = (user: DemoUser) => ({ password: demoPassword(user) });
  const complete = (user: DemoUser, task: Task, data: Record<string, unknown>, extra: object = {}) =>
    call(user, 'POST', `/api/tasks/${task.id}/complete`, { data, signature: signed(user), ...extra });

  /** Starts a batch of PCM-500 and runs it through line clearance; returns the record. */
  async function started(batchNumber: string) {
    const start = await ok(
      call('olivia', 'POST', '/api/records', {
        template: 'batch-record',
        title: `Batch ${batchNumber}`,
        parameterSet: 'PCM-500',
        variables: { recipe: { bom: [] } },
      }),
      201,
    );
    const id = start.body.id as string;
    await ok(
      complete('olivia', await openTask(id, 'order'), {
        orderNumber: 'PO-260001',
        batchNumber,
        batchSize: BATCH_SIZE,
      }),
    );
    await ok(
      complete('olivia', await openTask(id, 'lineClearance'), {
        room: 'PR-104',
        roomStatus: 'clean',
        equipmentStatus: 'clean',
        previousProduct: 'IBU-200, batch B26-0003',
        documentsRemoved: true,
        labelsRemoved: true,
      }),
    );
    const check = await openTask(id, 'lineClearanceCheck');
    assertProblem(await complete('olivia', check, { clearanceConfirmed: true }), 403, 'not-allowed');
    await ok(complete('oscar', check, { clearanceConfirmed: true }));
    return start.body as { id: string; number: string; instanceId: string };
  }

  /** Dispenses every line of the recipe by hand, each weight verified by Oscar; the first one corrected once. */
  async function dispensed(id: string) {
    const materials: string[] = [];
    for (;;) {
      const task = ((await record(id)).openTasks as Task[]).find((t) => t.elementId === 'dispense');
      if (!task) break;
      // Sequential repeats, in the order of the recipe's lines.
      const line = (await record(id)).variables.recipe.bom[materials.length];
      materials.push(line.material);
      const lot = lots[line.material]!;
      const weight = WEIGHTS[line.material]!;
      const path = `/api/tasks/${task.id}/values`;
      const data = { material: line.material, lot, netWeight: weight };
      if (materials.length === 1) {
        expectInput(
          await call('olivia', 'PUT', path, { data: { ...data, material: 'EXC-MCC' } }),
          '/materialMatches',
        );
        await ok(call('olivia', 'PUT', path, { data: { ...data, netWeight: 80.1 } }));
        await ok(call('olivia', 'PUT', path, { data, reason: 'Scale re-tared before weighing' }));
      } else await ok(call('olivia', 'PUT', path, { data }));
      expectInput(await complete('olivia', task, data), '/netWeight', 'verification');
      await ok(
        call('olivia', 'POST', `/api/tasks/${task.id}/verification`, {
          username: 'oscar',
          password: demoPassword('oscar'),
        }),
      );
      // A weight out of tolerance: the step view's check names it, and she confirms it with a comment.
      const check = (await ok(call('olivia', 'POST', `/api/tasks/${task.id}/check`, { data }))).body as {
        exceptions: { pointer: string; type: string }[];
      };
      const confirmed = check.exceptions.filter((e) => e.type === 'limit_breach').map((e) => e.pointer);
      if (confirmed.length > 0) {
        expectInput(await complete('olivia', task, data), '/netWeight', 'confirmation');
        await ok(
          complete('olivia', task, data, {
            confirmed,
            comments: { '/netWeight': 'Overweighed while the scale was settling' },
          }),
        );
      } else await ok(complete('olivia', task, data));
    }
    return materials;
  }

  async function processed(id: string) {
    for (const value of PROCESS_VALUES) {
      await ok(complete('olivia', await openTask(id, 'process'), { equipment: 'EQ-0042', value }));
    }
    assert.equal(((await record(id)).openTasks as Task[])[0]?.elementId, 'yield');
  }

  async function finished(id: string) {
    await ok(complete('olivia', await openTask(id, 'yield'), { output: 98.5, samples: 0.5, waste: 0.8 }));
    await ok(
      complete('olivia', await openTask(id, 'packaging'), {
        issued: 1000,
        used: 950,
        destroyed: 30,
        returned: 20,
      }),
    );
    await ok(
      complete('olivia', await openTask(id, 'cleaning'), {
        equipmentState: 'clean',
        cleaningMethod: 'SOP-CL-021',
        roomCleaned: true,
      }),
    );
  }

  let batch: { id: string; number: string; instanceId: string };
  let exceptionId: string;
  let deviationNumber: string;

  it('a batch starts from the recipe chosen among the template’s parameter sets, which the starter cannot override', async () => {
    const refused = await call('olivia', 'POST', '/api/records', {
      template: 'batch-record',
      title: 'No recipe',
    });
    expectInput(refused, '/parameterSet');
    assert.match(refused.body.detail, /PCM-500/);
    expectInput(
      await call('olivia', 'POST', '/api/records', {
        template: 'batch-record',
        title: 'Unknown recipe',
        parameterSet: 'PCM-1000',
      }),
      '/parameterSet',
    );
    batch = await started('B26-0001');
    const variables = (await record(batch.id)).variables;
    assert.equal(variables.parameterSet, 'PCM-500');
    assert.equal(variables.product, 'PCM-500 Paracetamol 500 mg tablets');
    assert.equal(variables.recipe.bom.length, 5, 'the recipe, not the variables the starter sent');
  });

  it('every line of the bill of materials is dispensed once, its weight verified, the one out of tolerance a blocking exception', async () => {
    assert.deepEqual(await dispensed(batch.id), Object.keys(WEIGHTS));
    const dossier = (await ok(call('quinn', 'GET', `/api/records/${batch.id}/dossier`))).body;
    assert.equal(dossier.exceptions.length, 1);
    const [exception] = dossier.exceptions;
    assert.deepEqual([exception.type, exception.blocking, exception.status], ['limit_breach', true, 'open']);
    assert.match(exception.message, /Net weight \(kg\) 12\.300 is above the action limit 12\.120/);
    exceptionId = exception.id;
    assert.deepEqual((await record(batch.id)).variables.dispensedWeights, Object.values(WEIGHTS));
  });

  it('processing within limits, yield and material balance calculated within limits, packaging reconciled', async () => {
    await processed(batch.id);
    await finished(batch.id);
    assert.deepEqual((await record(batch.id)).variables.processValues, PROCESS_VALUES);
    const dossier = (await ok(call('quinn', 'GET', `/api/records/${batch.id}/dossier`))).body;
    const values = dossier.steps.flatMap((s: { values: { pointer: string; value: unknown }[] }) => s.values);
    const value = (pointer: string) => values.find((v: { pointer: string }) => v.pointer === pointer)?.value;
    assert.equal(value('/yield'), 98.5);
    assert.equal(value('/materialBalance'), 99.5);
    assert.equal(value('/unreconciled'), 0);
    assert.equal(dossier.exceptions.length, 1, 'nothing else is outside its limits');
  });

  it('F4: the audit-trail review is refused while the blocking exception is undecided, naming it, and nothing changes', async () => {
    const review = await openTask(batch.id, 'auditTrailReview');
    const state = async () => {
      const r = await record(batch.id);
      return { status: r.status, tasks: r.openTasks, variables: r.variables };
    };
    await changesNothingTo(state)(async () => {
      const refused = await complete('quinn', review, { auditTrailReviewed: true, findings: 'none' });
      const problem = assertProblem(refused, 409, 'conflict');
      assert.match(problem.detail, /blocking exception is not dispositioned: “Net weight/);
      assert.ok(problem.detail.includes(exceptionId));
    });
  });

  it('F5: QA assesses the breach and raises a deviation, each signed; then the audit-trail review and the QA review close the batch ready for release', async () => {
    const path = `/api/exceptions/${exceptionId}/dispositions`;
    await ok(
      call('quinn', 'POST', path, {
        action: 'assess',
        comment: 'MCC overweighed by 0.18 kg; blend uniformity to be assessed.',
        password: demoPassword('quinn'),
      }),
    );
    const raised = await ok(
      call('quinn', 'POST', path, {
        action: 'raiseDeviation',
        comment: 'Investigate the scale and the dispensing instruction.',
        deviationTitle: `MCC overweighed on ${batch.number}`,
        password: demoPassword('quinn'),
      }),
    );
    deviationNumber = raised.body.dispositions[1].deviation.number;
    assert.match(deviationNumber, /^DEV-\d{4}-\d{4}$/);

    assertProblem(
      await complete('olivia', await openTask(batch.id, 'auditTrailReview'), {
        auditTrailReviewed: true,
        findings: 'none',
      }),
      403,
      'not-allowed',
    );
    await ok(
      complete('quinn', await openTask(batch.id, 'auditTrailReview'), {
        auditTrailReviewed: true,
        findings: 'findings',
        findingsText: 'The first weight of paracetamol was corrected with a reason before verification.',
      }),
    );
    await ok(
      complete('quinn', await openTask(batch.id, 'qaReview'), {
        exceptionsReviewed: true,
        reviewComment: `The overweighed MCC goes to ${deviationNumber}.`,
      }),
    );
    const done = await record(batch.id);
    assert.deepEqual(
      [done.status, done.openTasks, done.variables.batchStatus],
      ['closed', [], 'ready for release'],
    );
  });

  it('C6: the batch’s audit trail is reviewed as a step of its own, signed Reviewed over the extent of the trail shown, before QA’s review by exception', async () => {
    const trail = (await ok(call('quinn', 'GET', `/api/records/${batch.id}/audit`))).body as {
      events: { type: string; payload: Record<string, unknown> }[];
    };
    const signed = trail.events.filter((e) => e.type === 'signature.applied');
    const auditReview = signed.findIndex((e) => e.payload.reviewed !== undefined);
    assert.ok(auditReview >= 0, 'the audit-trail review’s signature names what it reviewed');
    const extent = signed[auditReview]!.payload.reviewed as { recordId: string; events: number };
    assert.equal(extent.recordId, batch.id);
    // Every event of the batch up to the review: dispensing, processing and QA's decisions (91 here).
    assert.ok(extent.events > 50 && extent.events < trail.events.length, `${extent.events} events`);
    assert.equal(signed[auditReview]!.payload.meaning, 'Reviewed');
    const qaReview = signed.findIndex(
      (e, i) => i > auditReview && e.payload.meaning === 'Reviewed' && e.payload.reviewed === undefined,
    );
    assert.ok(qaReview > auditReview, 'QA’s review by exception is signed after the audit-trail review');
  });

  it('D5: the printout is the complete batch record: steps, values with units and provenance, exceptions with decisions, signatures, changes, audit trail', async function () {
    if (!POPPLER) this.skip();
    const response = await call('quinn', 'GET', `/api/records/${batch.number}/printout`);
    assert.equal(response.status, 200, response.text);
    await mkdir(PRINTOUTS, { recursive: true });
    const file = join(PRINTOUTS, 'batch-record.pdf');
    await writeFile(file, response.bytes);
    const run = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const text = run.stdout.replace(/\s+/g, ' ');
    const has = (phrase: string | RegExp) =>
      typeof phrase === 'string'
        ? assert.ok(text.includes(phrase), `the printout has “${phrase}”`)
        : assert.match(text, phrase);
    for (const step of [
      'Order and batch number',
      'Line clearance check',
      'Dispense a material',
      'Processing step',
      'Yield and material balance',
      'Packaging reconciliation',
      'Cleaning',
      'Audit-trail review',
      'QA review by exception',
    ])
      has(step);
    assert.equal(text.match(/\d+\. Dispense a material \(completed\)/g)?.length, 5);
    assert.equal(text.match(/\d+\. Processing step \(completed\)/g)?.length, 6);
    has('80.020 kg');
    has('12.300 kg');
    has('98.5 %');
    has('Target weight 12.000 kg');
    has('Material code EXC-MCC');
    has('Manual');
    has('Calculated');
    has('CHANGED after original entry');
    has('Original value: 80.100 kg');
    has('Reason: Scale re-tared before weighing');
    has('Net weight (kg) 12.300 is above the action limit 12.120');
    has(`Deviation raised ${deviationNumber}`);
    has(/Performed by Olivia Ortega/);
    has(/Verified by Oscar Osei/);
    has(/Reviewed by Quinn Quaye/);
    has('Appendix: audit trail');
  });

  it('F3: a dispensing step refuses a material whose scanned code is not the recipe’s line, saved or signed, and changes nothing', async () => {
    const other = await started('B26-0003');
    const task = await openTask(other.id, 'dispense');
    const state = async () => (await ok(call('olivia', 'GET', `/api/tasks/${task.id}/form`))).body;
    await changesNothingTo(state)(async () => {
      const wrong = { material: 'EXC-MGS', lot: lots['EXC-MGS'], netWeight: 80 };
      const saved = await call('olivia', 'PUT', `/api/tasks/${task.id}/values`, { data: wrong });
      expectInput(saved, '/materialMatches', 'minimum');
      expectInput(await complete('olivia', task, wrong), '/materialMatches', 'minimum');
    });
    await ok(call('olivia', 'PUT', `/api/tasks/${task.id}/values`, { data: { material: 'API-PCM' } }));
  });

  it('bad input to a batch step is refused with its pointer and changes nothing', async () => {
    const other = await started('B26-0002');
    const task = await openTask(other.id, 'dispense');
    const state = async () => (await ok(call('olivia', 'GET', `/api/tasks/${task.id}/form`))).body;
    await changesNothingTo(state)(async () => {
      const data = { material: 'API-PCM', lot: lots['API-PCM'] };
      expectInput(await complete('olivia', task, { ...data, netWeight: 'eighty' }), '/netWeight');
      expectInput(await complete('olivia', task, { material: 'API-PCM', netWeight: 80 }), '/lot');
    });
    const order = await call('olivia', 'POST', '/api/records', {
      template: 'batch-record',
      title: 'Too large',
      parameterSet: 'PCM-500',
    });
    const orderTask = await openTask(order.body.id, 'order');
    expectInput(
      await complete('olivia', orderTask, { orderNumber: 'PO-1', batchNumber: 'X', batchSize: 500 }),
      '/batchSize',
    );
  });
  it('F3: from version 1.1 the dispensed lot must be of the recipe line’s material, and its net weight is issued from it', async () => {
    await makeEffective(api, tokens, 'batch-record', await shippedPackage('batch-record', '1.1.0'), '1.1.0');
    const next = await started('B26-0011');
    const task = await openTask(next.id, 'dispense');
    const state = async () => (await ok(call('olivia', 'GET', `/api/tasks/${task.id}/form`))).body.values;
    // The first line is paracetamol: a released lot of cellulose is refused at the lot, even typed as paracetamol.
    await changesNothingTo(state)(async () => {
      const wrong = { material: 'API-PCM', lot: lots['EXC-MCC'], netWeight: 80.02 };
      expectInput(
        await call('olivia', 'PUT', `/api/tasks/${task.id}/values`, { data: wrong }),
        '/lot',
        'gate',
      );
    });
    const form = (await ok(call('olivia', 'GET', `/api/tasks/${task.id}/form`))).body;
    assert.equal(form.fields.find((f: { key: string }) => f.key === 'lot').gate.material, 'API-PCM');
    const lot = lots['API-PCM']!;
    const stock = async () => (await ok(call('quinn', 'GET', `/api/lots/${lot}`))).body.stock as number;
    const before = await stock();
    const data = { material: 'API-PCM', lot, netWeight: 80.02 };
    await ok(call('olivia', 'PUT', `/api/tasks/${task.id}/values`, { data }));
    await ok(
      call('olivia', 'POST', `/api/tasks/${task.id}/verification`, {
        username: 'oscar',
        password: demoPassword('oscar'),
      }),
    );
    await ok(complete('olivia', task, data));
    assert.equal(Math.round((before - (await stock())) * 1000) / 1000, 80.02, 'the net weight left the lot');
  });
});
