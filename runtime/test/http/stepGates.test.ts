import assert from 'node:assert/strict';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import {
  cleanEquipment,
  listedMaterial,
  receivedLot,
  releasedLot,
} from '../../../engine/test/support/gates.ts';
import { startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

/** Charging a vessel: a lot of the material the process names, its quantity issued, the vessel used. */
const CHARGE_FORM = {
  title: 'Charge the vessel',
  components: [
    {
      type: 'materialLot',
      key: 'lot',
      label: 'Lot',
      input: true,
      validate: { required: true },
      attest: { material: 'material', issues: 'quantity' },
    },
    {
      type: 'materialLot',
      key: 'topUp',
      label: 'Top-up lot',
      input: true,
      attest: { material: 'material' },
    },
    {
      type: 'measuredValue',
      key: 'quantity',
      label: 'Quantity charged',
      input: true,
      validate: { required: true },
      attest: { unit: 'kg', decimals: 3, capture: 'manual' },
    },
    { type: 'equipmentId', key: 'vessel', label: 'Vessel', input: true, validate: { required: true } },
  ],
};

/** Emptying the vessel after the batch: it is released, and dirty. */
const EMPTY_FORM = {
  title: 'Empty the vessel',
  components: [
    {
      type: 'equipmentId',
      key: 'vessel',
      label: 'Vessel',
      input: true,
      validate: { required: true },
      attest: { equipment: 'release' },
    },
  ],
};

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:attest="http://attest.dev/schema/bpmn/1.0"
                  id="charging-definitions" targetNamespace="http://attest.dev/test">
  <bpmn:process id="charging" name="Charge and empty a vessel" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:userTask id="charge" name="Charge the vessel" attest:formKey="charge" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="empty" />
    <bpmn:userTask id="empty" name="Empty the vessel" attest:formKey="empty-vessel" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f3" sourceRef="empty" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

interface Lot {
  lotNumber: string;
  status: string;
  stock: number;
  containers: { code: string }[];
}

/**
 * The material and equipment gates (F3, F2) as an operator meets them in a step, over HTTP: every
 * code a step holds is checked at save, at the check before the signature and at completion, and a
 * refused one is refused at its field with the reason, changing nothing.
 */
describe('Feature: the material and equipment gates of steps, over HTTP', () => {
  let api: TestApi;
  const tokens = {} as Record<DemoUser, string>;
  const call = (user: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[user], body });

  before(async () => {
    api = await startTestApi();
    for (const u of ['olivia', 'oscar', 'quinn'] as const) tokens[u] = await api.login(u);
    for (const [key, definition] of [
      ['charge', CHARGE_FORM],
      ['empty-vessel', EMPTY_FORM],
    ] as const)
      assert.equal((await call('quinn', 'POST', '/api/forms', { key, definition })).status, 201);
    assert.equal((await call('quinn', 'POST', '/api/processes', { xml: MODEL })).status, 201);
    await listedMaterial(api.ctx.engine, 'EXC-MCC', 'Microcrystalline cellulose');
    await listedMaterial(api.ctx.engine, 'API-PCM', 'Paracetamol');
  });
  after(() => api.close());

  /** A batch charging `material`: its open charge task. */
  async function batch(material = 'EXC-MCC'): Promise<{ instanceId: string; task: string }> {
    const started = await call('olivia', 'POST', '/api/processes/charging/instances', {
      variables: { material },
    });
    assert.equal(started.status, 201, started.text);
    return { instanceId: started.body.id, task: started.body.openTasks[0].id };
  }
  const lot = async (n: string): Promise<Lot> => (await call('quinn', 'GET', `/api/lots/${n}`)).body;
  const taskState = (task: string) => async () => {
    const form = (await call('olivia', 'GET', `/api/tasks/${task}/form`)).body;
    return { values: form.values, exceptions: form.exceptions };
  };
  const save = (task: string, data: Record<string, unknown>) =>
    call('olivia', 'PUT', `/api/tasks/${task}/values`, { data });
  const complete = (task: string, data: Record<string, unknown>, more: Record<string, unknown> = {}) =>
    call('olivia', 'POST', `/api/tasks/${task}/complete`, { data, ...more });
  const check = async (task: string, data: Record<string, unknown>) =>
    (await call('olivia', 'POST', `/api/tasks/${task}/check`, { data })).body as {
      ok: boolean;
      errors: { pointer: string; message: string }[];
      exceptions: { pointer: string; type: string; commentRequired: boolean; message: string }[];
    };
  /** Refused at the field on save, check and completion, and nothing of the step or the lot changed. */
  async function refusedEverywhere(
    task: string,
    data: Record<string, unknown>,
    pointer: string,
    reason: RegExp,
  ) {
    const lots = async () =>
      (await call('quinn', 'GET', '/api/lots')).body.lots.map((l: Lot) => [l.lotNumber, l.stock]);
    await changesNothingTo(async () => ({ step: await taskState(task)(), lots: await lots() }))(async () => {
      const saved = await save(task, data);
      expectInput(saved, pointer, 'gate');
      assert.match(saved.body.errors.find((e: { pointer: string }) => e.pointer === pointer).message, reason);
      const verdict = await check(task, data);
      assert.equal(verdict.ok, false);
      assert.match(verdict.errors.find((e) => e.pointer === pointer)!.message, reason);
      expectInput(await complete(task, data), pointer, 'gate');
    });
  }

  it('F3: an unknown, a quarantined, a rejected and an expired lot are refused at the field, saved, checked or signed', async () => {
    await cleanEquipment(api.ctx.engine, 'VS-01', 'Vessel');
    const { task } = await batch();
    const base = { quantity: 1, vessel: 'VS-01' };
    await refusedEverywhere(
      task,
      { ...base, lot: 'NO-SUCH-LOT' },
      '/lot',
      /No lot or container has the code NO-SUCH-LOT/,
    );
    const quarantined = await receivedLot(api.ctx.engine, 'EXC-MCC');
    await refusedEverywhere(
      task,
      { ...base, lot: quarantined.lotNumber },
      '/lot',
      /is in quarantine: only a released lot may be used/,
    );
    const rejected = await receivedLot(api.ctx.engine, 'EXC-MCC');
    const done = await call('quinn', 'POST', `/api/lots/${rejected.lotNumber}/status`, {
      status: 'rejected',
      version: rejected.version,
      password: demoPassword('quinn'),
      reason: 'Assay out of specification',
    });
    assert.equal(done.status, 200, done.text);
    await refusedEverywhere(task, { ...base, lot: rejected.lotNumber }, '/lot', /is rejected/);
    // A lot that expires tomorrow is usable today and refused the day after, before any sweep ran.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Zurich' }).format(api.ctx.clock.now());
    const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const expiring = await releasedLot(api.ctx.engine, 'EXC-MCC', [10], tomorrow);
    const ok = await save(task, { ...base, lot: expiring });
    assert.equal(ok.status, 200, ok.text);
    api.ctx.clock.advance(2 * 24 * 60);
    for (const u of ['olivia', 'quinn'] as const) tokens[u] = await api.login(u);
    await refusedEverywhere(task, { ...base, lot: expiring }, '/lot', /expired on/);
  });

  it('F3: a lot of another material than the step names is refused, and the same lot scanned twice', async () => {
    await cleanEquipment(api.ctx.engine, 'VS-02', 'Vessel');
    const { task } = await batch('EXC-MCC');
    const paracetamol = await releasedLot(api.ctx.engine, 'API-PCM');
    await refusedEverywhere(
      task,
      { lot: paracetamol, quantity: 1, vessel: 'VS-02' },
      '/lot',
      /is API-PCM \(Paracetamol\), not the material EXC-MCC this step asks for/,
    );
    const cellulose = await releasedLot(api.ctx.engine, 'EXC-MCC', [20, 20]);
    const container = (await lot(cellulose)).containers[0]!.code;
    await refusedEverywhere(
      task,
      { lot: cellulose, topUp: cellulose, quantity: 1, vessel: 'VS-02' },
      '/topUp',
      /is scanned twice in this step/,
    );
    // A container of the lot is the lot: scanning its code is accepted.
    assert.equal((await save(task, { lot: container, quantity: 1, vessel: 'VS-02' })).status, 200);
  });

  it('F3: the step proposes the lot that expires first; another needs the reason, which the record keeps', async () => {
    await cleanEquipment(api.ctx.engine, 'VS-03', 'Vessel');
    const later = await releasedLot(api.ctx.engine, 'API-PCM', [30], '2099-12-31');
    const { task } = await batch('API-PCM');
    const form = (await call('olivia', 'GET', `/api/tasks/${task}/form`)).body;
    const gate = form.fields.find((f: { key: string }) => f.key === 'lot').gate;
    assert.equal(gate.material, 'API-PCM');
    // Lots of paracetamol from the tests before expire sooner still (shelf life from today).
    const fefo = (await call('quinn', 'GET', '/api/materials/API-PCM/fefo')).body.lot;
    assert.equal(gate.proposal.lotNumber, fefo.lotNumber);
    assert.notEqual(fefo.lotNumber, later);
    const data = { lot: later, quantity: 2.5, vessel: 'VS-03' };
    const verdict = await check(task, data);
    assert.equal(verdict.ok, true, JSON.stringify(verdict.errors));
    const override = verdict.exceptions.find((e) => e.type === 'fefo_override')!;
    assert.equal(override.pointer, '/lot');
    assert.equal(override.commentRequired, true);
    assert.match(
      override.message,
      new RegExp(
        `^Lot ${later} \\(expires 2099-12-31\\) is used although lot ${fefo.lotNumber} expires first`,
      ),
    );
    await changesNothingTo(taskState(task))(async () => {
      expectInput(await complete(task, data), '/lot', 'confirmation');
      expectInput(await complete(task, data, { confirmed: ['/lot'] }), '/comments/lot', 'required');
    });
    const stockBefore = (await lot(later)).stock;
    const done = await complete(task, data, {
      confirmed: ['/lot'],
      comments: { '/lot': 'The first-expiring lot is on hold at the dispensary' },
    });
    assert.equal(done.status, 200, done.text);
    const after = await lot(later);
    assert.equal(after.stock, stockBefore - 2.5, 'the quantity charged is issued from the lot');
    const issued = (await call('quinn', 'GET', `/api/lots/${later}`)).body.transactions.at(-1);
    assert.equal(issued.kind, 'issue');
    const exceptions = (await call('olivia', 'GET', `/api/tasks/${task}/form`)).body.exceptions;
    const kept = exceptions.find((e: { type: string }) => e.type === 'fefo_override');
    assert.equal(kept.comment, 'The first-expiring lot is on hold at the dispensary');
  });

  it('F3: a quantity beyond the lot’s stock is refused at completion, and nothing is issued or completed', async () => {
    await cleanEquipment(api.ctx.engine, 'VS-04', 'Vessel');
    const small = await releasedLot(api.ctx.engine, 'EXC-MCC', [1]);
    const { task } = await batch('EXC-MCC');
    const data = { lot: small, quantity: 1.5, vessel: 'VS-04' };
    const verdict = await check(task, data);
    const comments = Object.fromEntries(
      verdict.exceptions.map((e) => [e.pointer.slice(0), 'kept for the test']),
    );
    const confirmed = verdict.exceptions.map((e) => e.pointer);
    await changesNothingTo(async () => ({ step: await taskState(task)(), lot: await lot(small) }))(
      async () => {
        const refused = await complete(task, data, { confirmed, comments });
        expectInput(refused, '/quantity', 'gate');
        assert.match(refused.body.detail, /holds 1 kg: 1\.5 kg cannot be taken from it/);
      },
    );
    assert.equal((await call('olivia', 'GET', `/api/tasks/${task}/form`)).body.status, 'open');
  });

  it('F2: dirty, out-of-service and unknown equipment is refused at the field; equipment another batch holds is refused until it is released and cleaned', async () => {
    const lotNumber = await releasedLot(api.ctx.engine, 'EXC-MCC', [100]);
    await cleanEquipment(api.ctx.engine, 'VS-10', 'Vessel');
    const act = (code: string, body: Record<string, unknown>) =>
      call('quinn', 'POST', `/api/equipment/${code}/events`, body);
    // Another piece of equipment, dirty; one out of service; one past its calibration.
    for (const [code, status] of [
      ['VS-11', 'dirty'],
      ['VS-12', 'out_of_service'],
    ] as const) {
      await cleanEquipment(api.ctx.engine, code, 'Vessel');
      const set = await act(code, { type: 'status_set', status, reason: 'Found so on the round' });
      assert.equal(set.status, 201, set.text);
    }
    const first = await batch();
    const data = (vessel: string) => ({ lot: lotNumber, quantity: 1, vessel });
    await refusedEverywhere(first.task, data('VS-11'), '/vessel', /is dirty: it must be cleaned before use/);
    await refusedEverywhere(first.task, data('VS-12'), '/vessel', /is out of service/);
    await refusedEverywhere(first.task, data('NO-SUCH'), '/vessel', /There is no equipment NO-SUCH/);

    // The first batch takes VS-10; a second batch is refused it while it is held.
    const fefo = async (task: string, d: Record<string, unknown>) => {
      const v = await check(task, d);
      return {
        confirmed: v.exceptions.map((e) => e.pointer),
        comments: Object.fromEntries(v.exceptions.map((e) => [e.pointer, 'Older lots used up first'])),
      };
    };
    const done = await complete(first.task, data('VS-10'), await fefo(first.task, data('VS-10')));
    assert.equal(done.status, 200, done.text);
    const second = await batch();
    await refusedEverywhere(second.task, data('VS-10'), '/vessel', /is in use by another batch/);
    // The first batch empties it: dirty, still refused; cleaned, the second batch may take it.
    const firstInstance = (await call('olivia', 'GET', `/api/instances/${first.instanceId}`)).body;
    const emptyTask = firstInstance.openTasks.find((t: { elementId: string }) => t.elementId === 'empty').id;
    assert.equal((await complete(emptyTask, { vessel: 'VS-10' })).status, 200);
    await refusedEverywhere(second.task, data('VS-10'), '/vessel', /is dirty/);
    const cleaned = await act('VS-10', { type: 'cleaned', reason: 'Cleaned to SOP-CL-021' });
    assert.equal(cleaned.status, 201, cleaned.text);
    assert.equal((await save(second.task, data('VS-10'))).status, 200);
    // The logbook shows each use, release and cleaning with the batch.
    const logbook = (await call('quinn', 'GET', '/api/equipment/VS-10/logbook')).body;
    const kinds = logbook.entries.map((e: { type: string }) => e.type);
    assert.deepEqual(kinds.slice(-3), ['equipment.used', 'equipment.released', 'equipment.cleaned']);
  });
});
