import assert from 'node:assert/strict';
import { granulationRoom, mixer as equipmentBody } from '../../../engine/test/equipment/support.ts';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: rooms, equipment and the equipment logbook over HTTP', () => {
  let api: TestApi;
  const tokens = { quinn: '', olivia: '' };

  before(async () => {
    api = await startTestApi();
    for (const who of ['quinn', 'olivia'] as const) tokens[who] = await api.login(who);
  });
  after(() => api.close());

  const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });
  const room = granulationRoom();
  const mixer = equipmentBody();
  const logbook = async () => (await call('quinn', 'GET', '/api/equipment/MX-01/logbook')).body;
  const everything = async () => ({
    rooms: (await call('quinn', 'GET', '/api/rooms')).body,
    equipment: (await call('quinn', 'GET', '/api/equipment')).body,
  });

  it('QA registers a room and a piece of equipment; bad input is a problem at its pointer and writes nothing', async () => {
    await changesNothingTo(everything)(async () => {
      expectInput(await call('quinn', 'POST', '/api/rooms', { ...room, class: 'E' }), '/class', 'enum');
      expectInput(await call('quinn', 'POST', '/api/rooms', { ...room, code: 'r 104' }), '/code', 'pattern');
      expectInput(await call('quinn', 'POST', '/api/equipment', mixer), '/room', 'enum');
      assertProblem(await call('olivia', 'POST', '/api/rooms', room), 403, 'not-allowed');
    });
    const created = await call('quinn', 'POST', '/api/rooms', room);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('location'), '/api/rooms/R-104');
    await changesNothingTo(everything)(async () => {
      for (const [field, value, keyword] of [
        ['calibrationDue', '30.06.2099', 'pattern'],
        ['calibrationDue', '2099-02-30', 'format'],
        ['qualificationDue', '2099-13-01', 'format'],
        ['cleanHoldHours', 0, 'minimum'],
        ['status', 'in_use', 'enum'],
        ['code', 'mx-01', 'pattern'],
      ] as const)
        expectInput(
          await call('quinn', 'POST', '/api/equipment', { ...mixer, [field]: value }),
          `/${field}`,
          keyword,
        );
    });
    const registered = await call('quinn', 'POST', '/api/equipment', mixer);
    assert.equal(registered.status, 201, registered.text);
    assert.deepEqual(
      [registered.body.status, registered.body.usable, registered.body.qualificationDue],
      ['clean', null, '2099-12-31'],
    );
    assertProblem(await call('quinn', 'POST', '/api/equipment', mixer), 409, 'conflict');
    const seen = await call('olivia', 'GET', '/api/equipment/MX-01');
    assert.equal(seen.status, 200, seen.text);
  });

  it('unknown and malformed codes: 404 for a code nobody registered, 400 for one that cannot be a code', async () => {
    assertProblem(await call('olivia', 'GET', '/api/equipment/MX-99'), 404, 'not-found');
    assertProblem(await call('olivia', 'GET', '/api/rooms/R-999'), 404, 'not-found');
    assertProblem(await call('quinn', 'GET', '/api/equipment/MX-99/logbook'), 404, 'not-found');
    expectInput(await call('olivia', 'GET', '/api/equipment/mx%2001'), '/code', 'pattern');
    const unknown = await call('quinn', 'POST', '/api/equipment/MX-99/events', {
      type: 'cleaned',
      reason: 'Done',
    });
    assertProblem(unknown, 404, 'not-found');
  });

  it('logbook events need a reason, a status change says which; a calibration needs the password again and sensible dates', async () => {
    const events = '/api/equipment/MX-01/events';
    await changesNothingTo(logbook)(async () => {
      expectInput(
        await call('quinn', 'POST', events, { type: 'status_set', status: 'out_of_service' }),
        '/reason',
        'required',
      );
      expectInput(
        await call('quinn', 'POST', events, { type: 'status_set', status: 'out_of_service', reason: '  ' }),
        '/reason',
      );
      expectInput(
        await call('quinn', 'POST', events, { type: 'status_set', reason: 'Broken' }),
        '/status',
        'enum',
      );
      expectInput(
        await call('quinn', 'POST', events, { type: 'repaired', reason: 'Fixed' }),
        '/type',
        'enum',
      );
      const calibration = {
        type: 'calibrated',
        reason: 'Annual',
        certificate: 'CAL-118',
        calibrationDue: '2099-12-31',
      };
      expectInput(await call('quinn', 'POST', events, calibration), '/password', 'required');
      expectInput(
        await call('quinn', 'POST', events, {
          ...calibration,
          calibrationDue: '2020-01-31',
          password: demoPassword('quinn'),
        }),
        '/calibrationDue',
        'minimum',
      );
      expectInput(
        await call('quinn', 'POST', events, {
          ...calibration,
          calibrationDue: '31/12/2099',
          password: demoPassword('quinn'),
        }),
        '/calibrationDue',
        'pattern',
      );
      assertProblem(
        await call('quinn', 'POST', events, { ...calibration, password: 'not the password' }),
        401,
        'unauthenticated',
      );
      assertProblem(
        await call('olivia', 'POST', events, { type: 'cleaned', reason: 'Done' }),
        403,
        'not-allowed',
      );
      assertProblem(
        await call('quinn', 'POST', events, { type: 'maintenance_ended', reason: 'Done' }),
        409,
        'conflict',
      );
    });
    const out = await call('quinn', 'POST', events, {
      type: 'status_set',
      status: 'out_of_service',
      reason: 'Seal leaks',
    });
    assert.equal(out.status, 201, out.text);
    assert.deepEqual([out.body.status, out.body.usable.refusal], ['out_of_service', 'out_of_service']);
    const calibrated = await call('quinn', 'POST', events, {
      type: 'calibrated',
      reason: 'Annual calibration',
      certificate: 'CAL-2026-118',
      calibrationDue: '2099-12-31',
      password: demoPassword('quinn'),
    });
    assert.equal(calibrated.status, 201, calibrated.text);
    const entries = (await logbook()).entries;
    assert.deepEqual(
      entries.map((e: { type: string; reason: string | null }) => [e.type, e.reason]),
      [
        ['equipment.registered', 'Installed and qualified, IQ/OQ-MX01'],
        ['equipment.status_set', 'Seal leaks'],
        ['signature.applied', 'Annual calibration'],
        ['equipment.calibrated', 'Annual calibration'],
      ],
    );
    assert.equal(entries.at(-1).details.certificate, 'CAL-2026-118');
  });

  it('changes equipment on the version read and imports the first load all or nothing', async () => {
    const change = {
      name: 'Mixer',
      type: 'high-shear mixer',
      room: 'R-104',
      dailyCheckRequired: true,
      reason: 'Daily check per SOP-EQ-002',
    };
    const stale = await call('quinn', 'PUT', '/api/equipment/MX-01', { ...change, version: 1 });
    assertProblem(stale, 409, 'conflict');
    const current = (await call('quinn', 'GET', '/api/equipment/MX-01')).body.version;
    const changed = await call('quinn', 'PUT', '/api/equipment/MX-01', { ...change, version: current });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual([changed.body.dailyCheckRequired, changed.body.cleanHoldHours], [true, null]);

    const header =
      'code,name,type,room,status,calibrationDue,qualificationDue,cleanHoldHours,dailyCheckRequired';
    await changesNothingTo(everything)(async () => {
      const bad = await call('quinn', 'POST', '/api/equipment/import', {
        csv: `${header}\nGR-01,Granulator,granulator,R-104,clean,,,24,no\nGR-02,Dryer,dryer,R-104,clean,2099-02-30,,,no\n`,
        reason: 'First load',
      });
      const problem = assertProblem(bad, 400, 'input');
      assert.deepEqual(problem.errors, [
        {
          pointer: '/csv',
          keyword: 'format',
          message: 'line 3: calibrationDue must be a date, YYYY-MM-DD, or null',
        },
      ]);
    });
    const loaded = await call('quinn', 'POST', '/api/equipment/import', {
      csv: `${header}\nGR-01,Granulator,granulator,R-104,clean,,,24,no\n`,
      reason: 'First load',
    });
    assert.equal(loaded.status, 201, loaded.text);
    assert.deepEqual(
      loaded.body.equipment.map((e: { code: string }) => e.code),
      ['GR-01'],
    );
  });
});
