import assert from 'node:assert/strict';
import type { MtsicsSimulator } from '@attest/scale-mtsics/simulator';
import { loginAs } from '../../../engine/test/support/testEngine.ts';
import { GRANULATE_FORM, GRANULATE_MODEL } from '../../../engine/test/support/devices.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { startScaleEngine } from './support/scale.ts';

describe('Feature: Take reading over HTTP from an MT-SICS scale on the loopback, through the enabled plugin (E2, E3, E6, C4)', () => {
  let api: TestApi;
  let scale: MtsicsSimulator;
  let deviceId: string;
  const tokens = { olivia: '', adrian: '' };

  let rig: Awaited<ReturnType<typeof startScaleEngine>>;

  before(async () => {
    rig = await startScaleEngine();
    ({ scale } = rig);
    api = await startTestApi({ ctx: rig.ctx, devices: rig.hub });
    const quinn = await loginAs(rig.ctx.engine, 'quinn');
    await rig.ctx.engine.forms.save(quinn, { key: 'granulate-weight', definition: GRANULATE_FORM });
    await rig.ctx.engine.processes.deploy(quinn, GRANULATE_MODEL);
    for (const who of ['olivia', 'adrian'] as const) tokens[who] = await api.login(who);
    const registered = await api.request('POST', '/api/devices', { token: tokens.adrian, body: rig.device });
    assert.equal(registered.status, 201, registered.text);
    deviceId = registered.body.id;
  });
  after(async () => {
    await api.close();
    await rig.close();
  });

  const start = async () => {
    const started = await api.request('POST', '/api/processes/granulate/instances', {
      token: tokens.olivia,
      body: {},
    });
    assert.equal(started.status, 201, started.text);
    return started.body.openTasks[0].id as string;
  };
  const take = (task: string, body: Record<string, unknown> = {}) =>
    api.request('POST', `/api/tasks/${task}/readings`, {
      token: tokens.olivia,
      body: { pointer: '/netWeight', deviceId, ...body },
    });
  const deviceEvents = async () =>
    (await api.request('GET', `/api/devices/${deviceId}/audit`, { token: tokens.adrian })).body.events.map(
      (e: { type: string }) => e.type,
    );

  it('E2, E3: the server reads the scale, converts g to kg and enters the value with the device and its raw answer', async () => {
    const task = await start();
    const choices = await api.request('GET', `/api/tasks/${task}/devices`, { token: tokens.olivia });
    assert.deepEqual(
      choices.body.devices.map((d: { code: string; state: string }) => [d.code, d.state]),
      [['BAL-0101', 'in_service']],
    );
    const taken = await take(task);
    assert.equal(taken.status, 200, taken.text);
    assert.match(taken.body.reading.raw, /^S S\s+12503\.4 g$/);
    assert.equal(taken.body.reading.stored, 12.5034);
    assert.deepEqual(Object.keys(taken.body).sort(), ['reading', 'value'], 'not the whole form');
    const value = taken.body.value;
    assert.equal(value.pointer, '/netWeight');
    assert.deepEqual(
      [value.value, value.source, value.device.deviceId, value.device.channel],
      [12.503, 'device', 'BAL-0101', 'weight'],
    );
    assert.equal(value.device.raw, taken.body.reading.raw);
    assert.ok((await deviceEvents()).includes('device.connected'), 'opening the connection is audited (C4)');
    const state = await api.request('GET', '/api/devices/state', { token: tokens.adrian });
    const mine = state.body.items.find((s: { id: string }) => s.id === deviceId);
    assert.deepEqual(
      [mine.connected, mine.lastReading.raw, mine.lastError],
      [true, taken.body.reading.raw, null],
    );
    // The step view watches the scale live: readings as the device gives them, never entered
    const watching = new AbortController();
    const live = await fetch(`${api.url}/api/devices/${deviceId}/live?channel=weight`, {
      headers: { authorization: `Bearer ${tokens.olivia}` },
      signal: watching.signal,
    });
    assert.match(live.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = live.body!.getReader();
    let text = '';
    while (!/event: reading\ndata: .*\n\n/.test(text))
      text += new TextDecoder().decode((await reader.read()).value);
    const [, data] = /event: reading\ndata: (.*)\n\n/.exec(text)!;
    const reading = JSON.parse(data!);
    assert.deepEqual(
      [reading.channel, reading.value, reading.unit, reading.stable],
      ['weight', 12503.4, 'g', true],
    );
    watching.abort();
    // The form is completed naming the reading; the value is the one read
    const done = await api.request('POST', `/api/tasks/${task}/complete`, {
      token: tokens.olivia,
      body: {
        data: { netWeight: 12.5034 },
        sources: { '/netWeight': { source: 'device', reading: taken.body.reading.id } },
      },
    });
    assert.equal(done.status, 200, done.text);
  });

  it('E2: a client that states a device and its answer itself is refused by the API', async () => {
    const task = await start();
    const claimed = await api.request('PUT', `/api/tasks/${task}/values`, {
      token: tokens.olivia,
      body: {
        data: { netWeight: 1 },
        sources: { '/netWeight': { source: 'device', deviceId: 'BAL-0101', raw: 'S S      1000.0 g' } },
      },
    });
    assertProblem(claimed, 400, 'input');
    const values = await api.request('GET', `/api/tasks/${task}/form`, { token: tokens.olivia });
    assert.deepEqual(values.body.values, []);
  });

  it('E6: an unstable scale, an overload and garbage are refused with a clear message (502), kept, audited; nothing entered', async () => {
    const task = await start();
    scale.set({ stable: false });
    const unstable = await take(task);
    assertProblem(unstable, 502, 'device');
    assert.match(
      unstable.body.detail,
      /BAL-0101 could not be read: .*|The reading of BAL-0101 was refused: .*/,
    );
    scale.set({ stable: true, range: 'overload' });
    const overload = await take(task);
    assertProblem(overload, 502, 'device');
    assert.match(overload.body.detail, /overload/);
    scale.set({ range: 'ok' });
    scale.garble(true);
    const garbage = await take(task);
    assertProblem(garbage, 502, 'device');
    assert.match(garbage.body.detail, /Nothing was entered/);
    scale.garble(false);
    const form = await api.request('GET', `/api/tasks/${task}/form`, { token: tokens.olivia });
    assert.deepEqual(form.body.values, []);
    const events = await deviceEvents();
    assert.ok(events.includes('device.read_failed') || events.includes('device.reading_refused'));
  });

  it('E6, C4: the scale stops mid-session: a clear message, the disconnection audited; back, the next reading reconnects', async () => {
    const task = await start();
    await scale.stop();
    const down = await take(task);
    assertProblem(down, 502, 'device');
    assert.match(down.body.detail, /^BAL-0101 could not be read: .+\. Nothing was entered\.$/);
    const state = await api.request('GET', '/api/devices/state', { token: tokens.adrian });
    const mine = state.body.items.find((s: { id: string }) => s.id === deviceId);
    assert.equal(mine.connected, false);
    assert.ok(mine.lastError.message.length > 0);
    assert.ok((await deviceEvents()).includes('device.disconnected'));
    await scale.start();
    const back = await take(task);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.value.source, 'device');
  });

  it('E6, C4: a busy scale’s “no” is refused and audited with its answer, and the connection stays open; garbage closes it', async () => {
    const task = await start();
    assert.equal((await take(task)).status, 200);
    const trail = async () =>
      (await api.request('GET', `/api/devices/${deviceId}/audit`, { token: tokens.adrian })).body.events as {
        type: string;
        payload: Record<string, unknown>;
      }[];
    const before = (await trail()).length;
    scale.busy(true);
    const busy = await take(task, { reason: 'Weighed again' });
    assertProblem(busy, 502, 'device');
    assert.match(
      busy.body.detail,
      /^BAL-0101 could not be read: .*answered S I to S.*\. Nothing was entered\.$/,
    );
    scale.busy(false);
    const again = await take(task, { reason: 'Weighed again' });
    assert.equal(again.status, 200, again.text);
    const since = (await trail()).slice(before);
    assert.deepEqual(
      since.map((e) => e.type),
      ['device.read_failed'],
      'neither disconnected nor connected again: the scale answered, the line is sound',
    );
    assert.equal(since[0]!.payload.raw, 'S I', 'the scale’s answer is kept (E3)');
    const state = await api.request('GET', '/api/devices/state', { token: tokens.adrian });
    const mine = state.body.items.find((s: { id: string }) => s.id === deviceId);
    assert.deepEqual(
      [mine.connected, mine.lastError.message],
      [true, busy.body.detail.match(/read: (.*)\. Nothing/)[1]],
    );
    scale.garble(true);
    assertProblem(await take(task, { reason: 'Weighed again' }), 502, 'device');
    scale.garble(false);
    assert.deepEqual(
      (await trail()).slice(before + 1).map((e) => e.type),
      ['device.disconnected', 'device.read_failed'],
      'garbage on the line closes the connection',
    );
  });

  it('E6: tare from the step is sent to the scale and audited; a device out of service is not read (409)', async () => {
    const task = await start();
    const tared = await take(task, { action: 'tare' });
    assert.equal(tared.status, 200, tared.text);
    assert.equal(tared.body.reading, null);
    assert.equal((await deviceEvents()).at(-1), 'device.tared');
    const device = (await api.request('GET', `/api/devices/${deviceId}`, { token: tokens.adrian })).body;
    const out = await api.request('PUT', `/api/devices/${deviceId}`, {
      token: tokens.adrian,
      body: {
        code: device.code,
        name: device.name,
        kind: device.kind,
        plugin: device.plugin,
        settings: device.settings,
        room: device.room,
        line: device.line,
        calibrationDue: device.calibrationDue,
        status: 'out_of_service',
        version: device.version,
        reason: 'Failed daily check',
      },
    });
    assert.equal(out.status, 200, out.text);
    const refused = await take(task);
    assertProblem(refused, 409, 'conflict');
    assert.match(refused.body.detail, /BAL-0101 is out of service/);
    const live = await api.request('GET', `/api/devices/${deviceId}/live?channel=weight`, {
      token: tokens.olivia,
    });
    assertProblem(live, 409, 'conflict');
  });
});
