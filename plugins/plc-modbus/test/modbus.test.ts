import assert from 'node:assert/strict';
import { DeviceRefusal, type DeviceConnection } from '@attest/plugin-api';
import { connector, ModbusException, SettingsError, type Channel, type Settings } from '../src/index.ts';
import { ModbusSimulator, SIMULATED_CHANNELS } from '../src/simulator.ts';

const timeoutMs = 400;

const CHANNELS: Record<string, Channel> = {
  ...SIMULATED_CHANNELS,
  pi: {
    area: 'holding',
    address: 200,
    type: 'float64',
    wordOrder: 'little',
    byteOrder: 'little',
    unit: 'rad',
  },
  counter: { area: 'holding', address: 300, type: 'int32', wordOrder: 'little', writable: true },
  total: { area: 'input', address: 400, type: 'uint32', scale: 0.5, offset: 10, unit: 'L' },
  alarm: { area: 'holding', address: 500, type: 'bool' },
};

function settings(port: number, more: Partial<Settings> = {}): Settings {
  return { transport: 'tcp', host: '127.0.0.1', port, timeoutMs, channels: CHANNELS, ...more };
}

describe('plc-modbus over Modbus TCP', function () {
  this.timeout(20_000);
  let device: ModbusSimulator;
  let port: number;
  let connection: DeviceConnection | null = null;

  beforeEach(async () => {
    device = new ModbusSimulator();
    port = await device.start();
  });
  afterEach(async () => {
    await connection?.close();
    connection = null;
    await device.stop();
  });

  async function open(more: Partial<Settings> = {}): Promise<DeviceConnection> {
    connection = await connector.open(settings(port, more));
    return connection;
  }

  it('reads each area per the map, with the register words in hex as the raw answer', async () => {
    device.setRegisters('holding', 200, [0x182d, 0x4454, 0xfb21, 0x0940]);
    device.setRegisters('input', 400, [0x0000, 0x0064]); // 0x00000064 = 100 → 100 × 0.5 + 10
    device.setRegisters('input', 10, [0x42f6, 0xe979]);
    device.setRegisters('holding', 500, [3]);
    device.setBit('coil', 0, true);
    device.setBit('discrete', 0, false);
    const c = await open();
    const pi = await c.read('pi');
    assert.equal(pi.value, Math.PI);
    assert.equal(pi.raw, '182D 4454 FB21 0940');
    assert.equal(pi.unit, 'rad');
    assert.equal(pi.deviceId, `modbus-tcp://127.0.0.1:${port}/1`);
    assert.equal(pi.status, 'ok');
    assert.equal(pi.stable, true);
    assert.equal(pi.deviceTime, null);
    const total = await c.read('total');
    assert.equal(total.value, 60);
    assert.equal(total.raw, '0000 0064');
    assert.equal(total.unit, 'L');
    const weight = await c.read('weight');
    assert.equal(weight.value, 123.456);
    assert.equal(weight.unit, 'kg');
    assert.equal((await c.read('alarm')).value, true);
    const pump = await c.read('pump');
    assert.equal(pump.value, true);
    assert.equal(pump.raw, '01');
    assert.equal((await c.read('door')).value, false);
    assert.deepEqual(
      device.requests.map((r) => [r.functionCode, r.address]),
      [
        [3, 200],
        [4, 400],
        [4, 10],
        [3, 500],
        [1, 0],
        [2, 0],
      ],
    );
  });

  it('reads a temperature that moves, in tenths of a degree', async () => {
    const c = await open();
    const reading = await c.read('temperature');
    assert.equal(typeof reading.value, 'number');
    assert.ok(
      (reading.value as number) >= 20 && (reading.value as number) <= 23,
      `${String(reading.value)} °C`,
    );
    assert.equal(reading.unit, '°C');
    device.setTemperature(-4.2);
    assert.equal((await c.read('temperature')).value, -4.2);
    assert.equal((await c.read('temperature')).raw, 'FFD6');
  });

  it('writes a holding register with the inverse scale, a coil, and a 32-bit value in the device’s word order', async () => {
    const c = await open();
    await c.write!('setpoint', 22.5);
    assert.equal(device.holding[100], 225);
    await c.write!('pump', false);
    assert.equal(device.coils[0], 0);
    await c.write!('pump', true);
    assert.equal(device.coils[0], 1);
    await c.write!('counter', -123456789);
    assert.deepEqual([device.holding[300], device.holding[301]], [0x32eb, 0xf8a4]);
    assert.equal((await c.read('counter')).value, -123456789);
    assert.deepEqual(
      device.requests.map((r) => r.functionCode),
      [6, 5, 5, 16, 3],
    );
  });

  it('refuses to write a channel that is not writable, or a value out of range, sending nothing', async () => {
    const c = await open();
    await assert.rejects(c.write!('temperature', 20), /channel temperature is not writable/);
    await assert.rejects(c.write!('alarm', true), /channel alarm is not writable/);
    await assert.rejects(
      c.write!('setpoint', 3276.8),
      /^WriteRefusedError: modbus-tcp:.*\/1: setpoint: 3276\.8 is out of range for int16 \(-3276\.8 to 3276\.7\)/,
    );
    await assert.rejects(c.write!('setpoint', 21.55), /whole number of steps of 0\.1/);
    await assert.rejects(c.write!('pump', 'on'), /true or false/);
    await assert.rejects(c.write!('nothing', 1), /no channel "nothing"/);
    assert.deepEqual(device.requests, []);
    assert.equal(device.holding[100], 215);
  });

  for (const [code, meaning] of [
    [1, /illegal function/],
    [2, /illegal data address/],
    [3, /illegal data value/],
    [4, /server device failure/],
    [6, /server device busy/],
    [11, /gateway target device failed to respond/],
  ] as const) {
    it(`gives Modbus exception ${code} as an error naming the code and its meaning, never a value`, async () => {
      device.exceptionAt('input', 11, code);
      const c = await open();
      await assert.rejects(
        c.read('weight'),
        (e: Error) =>
          e instanceof ModbusException &&
          e instanceof DeviceRefusal &&
          e.code === code &&
          /Modbus exception/.test(e.message) &&
          meaning.test(e.message),
      );
      device.exceptionAt('input', 11, null);
      assert.equal((await c.read('weight')).value, 12.5, 'the connection stays usable');
    });
  }

  it('gives a float that is not a number (NaN, infinity) as a device refusal naming the registers, never a value', async () => {
    device.setRegisters('input', 10, [0x7fc0, 0x0000]);
    const c = await open();
    await assert.rejects(c.read('weight'), (e: Error) => {
      assert.ok(e instanceof DeviceRefusal, 'the device answered: its line is sound');
      assert.equal((e as DeviceRefusal).raw, '7FC0 0000');
      assert.match(
        String(e),
        /^DeviceRefusal: modbus-tcp:\/\/127\.0\.0\.1:\d+\/1: weight: the device holds NaN, not a number \(registers 7FC0 0000\)$/,
      );
      return true;
    });
    device.setRegisters('input', 10, [0xff80, 0x0000]);
    await assert.rejects(c.read('weight'), /holds -Infinity, not a number \(registers FF80 0000\)/);
    device.setWeight(1.25);
    assert.equal((await c.read('weight')).value, 1.25, 'the connection stays usable');
  });

  it('gives a Modbus exception on a write as an error', async () => {
    device.exceptionAt('holding', 100, 3);
    const c = await open();
    await assert.rejects(
      c.write!('setpoint', 20),
      /writing setpoint: Modbus exception 3 \(illegal data value/,
    );
  });

  it('answers for its unit only: another unit id is a gateway exception', async () => {
    const c = await open({ unitId: 7 });
    await assert.rejects(c.read('weight'), /Modbus exception 11/);
    assert.equal(device.requests[0]?.unitId, 7);
  });

  it('gives up on a device that does not answer, within its time-out, and asks again on the next read', async () => {
    const hung = new ModbusSimulator({ silent: true });
    const hungPort = await hung.start();
    try {
      const c = await connector.open(settings(hungPort, { timeoutMs: 300 }));
      connection = c;
      const started = Date.now();
      await assert.rejects(c.read('weight'), /no answer to reading weight within 300 ms/);
      assert.ok(Date.now() - started < 3000);
      await assert.rejects(c.read('weight'), /no answer/);
    } finally {
      await hung.stop();
    }
  });

  it('refuses an answer that is not Modbus TCP, and reads again once the device answers properly', async () => {
    const c = await open();
    device.garble(true);
    await assert.rejects(c.read('weight'), /not a Modbus TCP frame: FF FE 4E 4F 54/);
    device.garble(false);
    assert.equal((await c.read('weight')).value, 12.5);
  });

  it('fails while the device is off, and reconnects by itself once it is back', async () => {
    const c = await open();
    assert.equal((await c.read('weight')).value, 12.5);
    await device.stop();
    await assert.rejects(c.read('weight'), /modbus-tcp:\/\/127\.0\.0\.1:\d+\/1/);
    await assert.rejects(c.read('weight'), /cannot connect/);
    device.setWeight(7.25);
    await device.start();
    assert.equal((await c.read('weight')).value, 7.25);
  });

  it('reports errors to a subscription while the device is off and delivers again once it is back', async () => {
    const c = await open({ pollMs: 50 });
    const values: unknown[] = [];
    const errors: Error[] = [];
    const end = c.subscribe!(
      'weight',
      (r) => values.push(r.value),
      (e) => errors.push(e),
    );
    try {
      const waitFor = async (done: () => boolean): Promise<void> => {
        const until = Date.now() + 10_000;
        while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        assert.ok(done());
      };
      await waitFor(() => values.length > 0);
      await device.stop();
      await waitFor(() => errors.length > 0);
      device.setWeight(3.5);
      await device.start();
      await waitFor(() => values.includes(3.5));
    } finally {
      end();
    }
  });

  it('refuses to open when nothing listens, saying it cannot connect', async () => {
    await device.stop();
    await assert.rejects(
      connector.open(settings(port)),
      /modbus-tcp:\/\/127\.0\.0\.1:\d+\/1: cannot connect \(.*ECONNREFUSED/,
    );
  });

  it('stops a read when its signal aborts', async () => {
    const hung = new ModbusSimulator({ silent: true });
    try {
      const c = await connector.open(settings(await hung.start(), { timeoutMs: 10_000 }));
      connection = c;
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('the step was cancelled')), 50);
      await assert.rejects(c.read('weight', controller.signal), /the step was cancelled/);
    } finally {
      await hung.stop();
    }
  });

  it('fails a read in flight when the connection is closed', async () => {
    const hung = new ModbusSimulator({ silent: true });
    try {
      const c = await connector.open(settings(await hung.start(), { timeoutMs: 10_000 }));
      const reading = c.read('weight');
      await new Promise((r) => setTimeout(r, 50));
      await c.close();
      await assert.rejects(reading, /the connection was closed/);
      await assert.rejects(c.read('weight'), /the connection is closed/);
    } finally {
      await hung.stop();
    }
  });
});

describe('plc-modbus settings', () => {
  const channels = { w: { area: 'holding', address: 0 } } as Record<string, Channel>;

  /** `open` refuses the settings with a SettingsError whose message names each of `parts`. */
  async function refusesNaming(bad: Settings, parts: string[]): Promise<void> {
    await assert.rejects(connector.open(bad), (e: Error) => {
      assert.ok(e instanceof SettingsError);
      for (const part of parts) assert.ok(e.message.includes(part), `${e.message} — ${part}`);
      return true;
    });
  }

  it('names every problem of the settings at open', async () => {
    const bad = {
      transport: 'tcp',
      port: 70000,
      timeoutMs: 0,
      channels: {
        a: { area: 'memory', address: -1 },
        b: { area: 'coil', address: 0, type: 'float32' },
        c: { area: 'input', address: 0, type: 'int16', writable: true },
        d: { area: 'holding', address: 0, type: 'int16', wordOrder: 'little' },
        e: { area: 'holding', address: 65535, type: 'float32' },
        f: { area: 'coil', address: 0, scale: 2 },
      },
    } as unknown as Settings;
    await refusesNaming(bad, [
      'host is required for tcp',
      'port must be an integer from 1 to 65535',
      'timeoutMs must be an integer',
      'channel "a": area must be one of holding, input, coil, discrete',
      'channel "a": address must be an integer from 0 to 65535',
      'channel "b": a coil holds a bool, not float32',
      'channel "c": only holding registers and coils can be writable, not a input',
      'channel "d": wordOrder applies only to 32- and 64-bit types, not int16',
      'channel "e": float32 at 65535 runs past address 65535',
      'channel "f": a bool has no scale',
    ]);
    await assert.rejects(
      connector.open({ transport: 'tcp', host: 'h', channels: {} }),
      /at least one channel/,
    );
  });

  it('RTU: requires the serial path and checks the line settings and the unit id', async () => {
    const bad = {
      transport: 'rtu',
      baudRate: -1,
      parity: 'mark',
      dataBits: 6,
      stopBits: 3,
      unitId: 248,
      channels,
    };
    await refusesNaming(bad as unknown as Settings, [
      'path (the serial device) is required for rtu',
      'baudRate must be a positive integer',
      'parity must be none, even or odd',
      'dataBits must be 7 or 8',
      'stopBits must be 1 or 2',
      'unitId must be an integer from 1 to 247 on a serial line',
    ]);
  });

  it('RTU: a serial device that does not exist is a clear error naming it', async () => {
    await assert.rejects(
      connector.open({ transport: 'rtu', path: '/dev/attest-no-such-tty', unitId: 3, channels }),
      /modbus-rtu:\/\/\/dev\/attest-no-such-tty\/3: cannot open the serial line/,
    );
  });
});
