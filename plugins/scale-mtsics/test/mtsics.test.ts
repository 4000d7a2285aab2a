import assert from 'node:assert/strict';
import net from 'node:net';
import { DeviceRefusal } from '@attest/plugin-api';
import { assertReading } from '@attest/plugin-testing';
import {
  connector,
  createConnector,
  MtsicsConnection,
  type Settings,
  type TcpSettings,
} from '../src/index.ts';
import { MtsicsSimulator } from '../src/simulator.ts';
import { collect, MockBinding, scaleOnMockLine, until } from './support.ts';

const timeoutMs = 400;

describe('MT-SICS scale connector', function () {
  this.timeout(20_000);
  let simulator: MtsicsSimulator;
  let settings: TcpSettings;
  let connection: MtsicsConnection | null = null;

  const open = async (given: Settings = settings): Promise<MtsicsConnection> => {
    const opened = await connector.open(given);
    assert.ok(opened instanceof MtsicsConnection);
    connection = opened;
    return opened;
  };

  beforeEach(async () => {
    simulator = new MtsicsSimulator({ stabilityWaitMs: 300 });
    const port = await simulator.start();
    settings = { transport: 'tcp', host: '127.0.0.1', port, timeoutMs, stableTimeoutMs: 2000 };
  });
  afterEach(async () => {
    await connection?.close();
    connection = null;
    await simulator.stop();
  });

  describe('weights', () => {
    it('E2, E3: reads a stable weight with its unit, the scale’s serial number and the answer as received', async () => {
      const scale = await open();
      const since = Date.now();
      const reading = await scale.read('weight');
      assertReading(reading, 'weight', since);
      assert.deepEqual(
        { ...reading, serverTime: null },
        {
          deviceId: 'B123456789',
          channel: 'weight',
          value: 100,
          unit: 'g',
          stable: true,
          status: 'ok',
          deviceTime: null,
          serverTime: null,
          raw: 'S S     100.00 g',
        },
      );
    });

    it('takes the unit from the answer', async () => {
      simulator.set({ load: 1.23456, unit: 'kg', decimals: 4 });
      const scale = await open();
      const reading = await scale.read('weightImmediate');
      assert.equal(reading.value, 1.2346);
      assert.equal(reading.unit, 'kg');
      assert.equal(reading.raw, 'S S     1.2346 kg');
    });

    it('E6: reads an immediate weight as dynamic while the scale is not stable', async () => {
      simulator.set({ stable: false, load: 12.5 });
      const scale = await open();
      const reading = await scale.read('weightImmediate');
      assert.equal(reading.status, 'unstable');
      assert.equal(reading.stable, false);
      assert.equal(reading.value, 12.5);
      assert.match(reading.raw, /^S D +12\.50 g$/);
    });

    it('waits for a stable weight until the scale settles', async () => {
      simulator.set({ stable: false, load: 40 });
      const scale = await open();
      const reading = scale.read('weight');
      setTimeout(() => simulator.set({ stable: true, load: 41 }), 100);
      const settled = await reading;
      assert.equal(settled.status, 'ok');
      assert.equal(settled.stable, true);
      assert.equal(settled.value, 41);
    });

    it('E6: fails a stable weight the scale cannot give (S I), naming the code and its meaning', async () => {
      simulator.set({ stable: false });
      const scale = await open();
      await assert.rejects(scale.read('weight'), (error: Error) => {
        assert.match(error.message, /answered S I to S: command not executable/);
        assert.ok(error instanceof DeviceRefusal, 'the scale answered: a refusal, not a broken link');
        assert.equal(error.raw, 'S I');
        return true;
      });
      simulator.set({ stable: true });
      assert.equal((await scale.read('weight')).status, 'ok');
    });

    it('E6: reads an overload and an underload as such, with no value', async () => {
      const scale = await open();
      for (const range of ['overload', 'underload'] as const) {
        simulator.set({ range });
        for (const channel of ['weight', 'weightImmediate']) {
          const reading = await scale.read(channel);
          assert.equal(reading.status, range);
          assert.equal(reading.value, null);
          assert.equal(reading.stable, false);
          assert.equal(reading.raw, range === 'overload' ? 'S +' : 'S -');
        }
      }
    });
  });

  describe('errors', () => {
    // ET says the scale received damaged bytes: the line is not trusted, so it is no device refusal.
    for (const [code, meaning, refusal] of [
      ['ES', /syntax error/, true],
      ['ET', /transmission error/, false],
      ['EL', /logical error/, true],
    ] as const) {
      it(`E6: fails on ${code}, naming the code and its meaning, and reads on afterwards`, async () => {
        const scale = await open();
        simulator.answerNext(code);
        await assert.rejects(scale.read('weight'), (error: Error) => {
          assert.match(error.message, new RegExp(`answered ${code} to S`));
          assert.match(error.message, meaning);
          assert.equal(error instanceof DeviceRefusal, refusal);
          return true;
        });
        assert.equal((await scale.read('weight')).value, 100);
      });
    }

    it('E6: fails on an answer that is not MT-SICS, quoting it', async () => {
      const scale = await open();
      simulator.answerNext('hello, world');
      await assert.rejects(
        scale.read('tare'),
        (error: Error) =>
          /unexpected answer .* to TA: "hello, world"/.test(error.message) &&
          !(error instanceof DeviceRefusal),
      );
      assert.equal((await scale.read('tare')).value, 0); // the link is opened afresh
      simulator.answerNext('I4 A "B123456789"');
      await assert.rejects(scale.read('tare'), /unexpected answer .* to TA: "I4 A/);
      simulator.garble(true);
      await assert.rejects(scale.read('weight'), /unexpected answer .*\\x02\\x7f/);
    });

    it('refuses an unknown channel, and writes to anything but zero and tare', async () => {
      const scale = await open();
      await assert.rejects(scale.read('temperature'), /unknown channel "temperature"/);
      await assert.rejects(scale.write('weight', 5), /cannot write "weight"/);
      await assert.rejects(scale.write('tare', 5), /cannot write 5 to "tare"/);
      await assert.rejects(scale.write('zero', false), /cannot write false to "zero"/);
      await assert.rejects(scale.write('tare', '5 apples and'), /a preset tare is a number and a unit/);
      assert.throws(
        () =>
          scale.subscribe(
            'tare',
            () => undefined,
            () => undefined,
          ),
        /cannot subscribe to "tare"/,
      );
    });

    it('refuses settings it cannot use, saying what is wrong', async () => {
      const cases: [unknown, RegExp][] = [
        [{ transport: 'usb' }, /transport must be "tcp" or "serial"/],
        [{ transport: 'tcp', port: 1 }, /needs its host/],
        [{ transport: 'tcp', host: 'localhost' }, /needs its port/],
        [
          { transport: 'tcp', host: 'localhost', port: 70_000 },
          /port must be a whole number from 1 to 65535/,
        ],
        [{ transport: 'serial' }, /needs its path/],
        [{ transport: 'serial', path: '/dev/x', parity: 'mark' }, /parity must be one of none, even, odd/],
        [{ ...settings, timeoutMs: 0 }, /timeoutMs must be a whole number/],
      ];
      for (const [given, message] of cases) await assert.rejects(connector.open(given as Settings), message);
    });
  });

  describe('tare and zero', () => {
    it('tares, presets the tare and zeroes the scale, and the readings follow', async () => {
      const scale = await open();
      await scale.write('tare', true);
      assert.equal((await scale.read('tare')).value, 100);
      assert.equal((await scale.read('weight')).value, 0);
      simulator.set({ load: 150 });
      assert.equal((await scale.read('weight')).value, 50);
      await scale.write('tare', '20 g');
      const tare = await scale.read('tare');
      assert.deepEqual([tare.value, tare.unit, tare.raw], [20, 'g', 'TA A      20.00 g']);
      assert.equal((await scale.read('weightImmediate')).value, 130);
      await scale.write('zero', true);
      assert.equal((await scale.read('weight')).value, 0);
      assert.equal((await scale.read('tare')).value, 0);
      simulator.set({ load: 170 });
      assert.equal((await scale.read('weight')).value, 20);
    });

    it('fails a zero or a tare the scale does not carry out, saying why', async () => {
      const scale = await open();
      simulator.set({ stable: false });
      await assert.rejects(scale.write('zero', true), /answered Z I to Z: command not executable/);
      await assert.rejects(scale.write('tare', true), /answered T I to T: command not executable/);
      simulator.set({ stable: true, range: 'overload' });
      await assert.rejects(scale.write('zero', true), /answered Z \+ to Z: upper limit exceeded/);
      simulator.set({ range: 'underload' });
      await assert.rejects(scale.write('tare', true), /answered T - to T: lower limit exceeded/);
      simulator.set({ range: 'ok' });
      await assert.rejects(scale.write('tare', '5 kg'), /answered TA L to TA: .*out of range/);
      assert.equal((await scale.read('weight')).value, 100);
    });
  });

  describe('identity', () => {
    it('E2: names the scale by its serial number (I4) and knows its model (I2)', async () => {
      simulator.set({ serialNumber: 'C987654321', model: 'XPR204S Excellence' });
      const scale = await open();
      assert.equal(scale.deviceId, 'C987654321');
      assert.equal(scale.model, 'XPR204S Excellence');
      assert.equal((await scale.read('tare')).deviceId, 'C987654321');
    });

    it('names a scale that gives no serial number by where it is', async () => {
      simulator.answerNext('ES');
      const scale = await open();
      assert.equal(scale.deviceId, `127.0.0.1:${settings.port}`);
    });

    it('E2: identifies the scale again when the link comes back, so a swapped scale is named as such', async () => {
      const scale = await open();
      assert.equal((await scale.read('weight')).deviceId, 'B123456789');
      await simulator.stop();
      simulator.set({ serialNumber: 'B000000002' });
      await simulator.start();
      const reading = await scale.read('weight').catch(() => scale.read('weight'));
      assert.equal(reading.deviceId, 'B000000002');
    });
  });

  describe('time-outs and reconnection', () => {
    it('E6: gives up on a silent scale within its time-out, saying so', async () => {
      const silent = new MtsicsSimulator({ silent: true });
      const port = await silent.start();
      const started = Date.now();
      try {
        await assert.rejects(
          connector.open({ ...settings, port }),
          /no answer from the scale at .* to I4 within 400 ms/,
        );
        assert.ok(Date.now() - started < 3000);
        await until(() => silent.connections === 0, 2000, 'the connection is closed');
      } finally {
        await silent.stop();
      }
    });

    it('fails while the scale is off and reads again by itself once it is back', async () => {
      const scale = await open();
      await scale.read('weight');
      await simulator.stop();
      await assert.rejects(scale.read('weight'), /scale|connect|closed|broken/);
      await assert.rejects(scale.read('weight'), /cannot connect to 127\.0\.0\.1/);
      await simulator.start();
      assert.equal((await scale.read('weight')).value, 100);
    });

    it('keeps a subscription through a restart of the scale, reporting the loss once', async () => {
      const scale = await open();
      const seen = collect(scale, 'weightImmediate');
      const end = seen.end;
      await until(() => seen.readings.length >= 2, 5000, 'readings');
      await simulator.stop();
      await until(() => seen.errors.length >= 1, 5000, 'the loss is reported');
      await new Promise((resolve) => setTimeout(resolve, 300));
      simulator.set({ load: 7 });
      await simulator.start();
      await until(() => seen.readings.at(-1)?.value === 7, 10_000, 'readings again');
      end();
      assert.equal(seen.errors.length, 1, seen.errors.map((e) => e.message).join('; '));
    });
  });

  describe('a scale that falls silent', () => {
    it('E6: a subscription hears of a scale fallen silent, and streams again once it answers', async () => {
      const scale = await open();
      const seen = collect(scale, 'weightImmediate');
      const end = seen.end;
      await until(() => seen.readings.length >= 2, 5000, 'readings');
      simulator.scale.silent = true;
      await until(() => seen.errors.length >= 1, 5000, 'the silence is reported');
      assert.match(seen.errors[0]?.message ?? '', /no weight streamed by the scale at .* within 400 ms/);
      simulator.set({ load: 3 });
      simulator.scale.silent = false;
      await until(() => seen.readings.at(-1)?.value === 3, 10_000, 'readings again');
      end();
    });

    it('E6: reports a scale that refuses SIR to its subscribers', async () => {
      const scale = await open();
      simulator.answerNext('ES');
      const seen = collect(scale, 'weight');
      await until(() => seen.errors.length >= 1, 5000, 'the refusal is reported');
      seen.end();
      assert.match(seen.errors[0]?.message ?? '', /answered ES to SIR: syntax error/);
    });
  });

  describe('commands in flight', () => {
    it('aborts a read when asked, and reads on afterwards', async () => {
      simulator.set({ stable: false });
      const scale = await open();
      const abort = new AbortController();
      const read = scale.read('weight', abort.signal);
      setTimeout(() => abort.abort(), 50);
      await assert.rejects(read, /the S command to the scale at .* was aborted/);
      simulator.set({ stable: true });
      assert.equal((await scale.read('weight')).value, 100);
    });

    it('takes no weight a scale still streams from an earlier SIR for the answer to I4', async () => {
      const streaming = net.createServer((socket) => {
        const stream = setInterval(() => socket.write('S D      3.00 g\r\n'), 20);
        socket.on('data', (chunk) => {
          clearInterval(stream);
          const command = chunk.toString('latin1').trim();
          if (command === 'I4') socket.write('S D      3.10 g\r\nI4 A "S0STREAM"\r\n');
          else socket.write(command === 'I2' ? 'I2 A "Streaming scale"\r\n' : 'ES\r\n');
        });
        socket.on('close', () => clearInterval(stream));
      });
      await new Promise<void>((resolve) => streaming.listen(0, '127.0.0.1', resolve));
      const { port } = streaming.address() as net.AddressInfo;
      try {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const scale = await open({ ...settings, port, timeoutMs: 300 });
        assert.equal(scale.deviceId, 'S0STREAM');
        assert.equal(scale.model, 'Streaming scale');
      } finally {
        await connection?.close();
        await new Promise((resolve) => streaming.close(resolve));
      }
    });
  });

  describe('subscriptions', () => {
    it('streams immediate weights with SIR, stable ones only on weight, and reads between them', async () => {
      const scale = await open();
      const immediate = collect(scale, 'weightImmediate');
      const stable = collect(scale, 'weight');
      await until(() => stable.readings.length >= 2, 5000, 'stable readings');
      simulator.set({ stable: false, load: 99 });
      await until(() => immediate.readings.some((r) => r.status === 'unstable'), 5000, 'a dynamic reading');
      const stableCount = stable.readings.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(stable.readings.length <= stableCount + 1, 'no dynamic weights on "weight"');
      assert.ok(stable.readings.every((r) => r.status === 'ok' && r.channel === 'weight'));
      simulator.set({ stable: true });
      assert.equal((await scale.read('tare')).value, 0);
      await scale.write('tare', true);
      const count = immediate.readings.length;
      await until(() => immediate.readings.length > count + 2, 5000, 'the stream resumes after the commands');
      assert.equal(immediate.readings.at(-1)?.value, 0);
      immediate.end();
      stable.end();
      await until(() => simulator.scale.sessions.size === 1, 1000, 'one session');
      assert.deepEqual([...immediate.errors, ...stable.errors], []);
    });
  });

  describe('a subscriber that throws', () => {
    it('breaks neither the link nor the other subscribers', async () => {
      const scale = await open();
      const endThrowing = scale.subscribe(
        'weight',
        () => {
          throw new Error('a bug in a subscriber');
        },
        () => undefined,
      );
      const seen = collect(scale, 'weight');
      await until(() => seen.readings.length >= 3, 5000, 'readings');
      endThrowing();
      seen.end();
      assert.equal((await scale.read('weight')).value, 100);
      assert.deepEqual(seen.errors, []);
    });
  });

  describe('serial line', () => {
    const path = '/dev/ttyMOCK0';
    afterEach(() => MockBinding.reset());

    it('reads, tares and streams over a serial line, with the line settings it is given', async () => {
      const binding = scaleOnMockLine(path, simulator.scale);
      const serial = await createConnector({ binding }).open({
        transport: 'serial',
        path,
        baudRate: 19200,
        dataBits: 7,
        parity: 'even',
        timeoutMs,
      });
      connection = serial as MtsicsConnection;
      const reading = await serial.read('weight');
      assert.deepEqual(
        [reading.deviceId, reading.value, reading.unit, reading.raw],
        ['B123456789', 100, 'g', 'S S     100.00 g'],
      );
      await serial.write!('tare', true);
      assert.equal((await serial.read('tare')).value, 100);
      const seen = collect(serial, 'weightImmediate');
      const end = seen.end;
      await until(() => seen.readings.length >= 2, 5000, 'streamed readings');
      end();
      assert.equal(seen.readings.at(-1)?.value, 0);
      assert.equal((await serial.read('weightImmediate')).value, 0);
      simulator.answerNext('EL');
      await assert.rejects(serial.read('weight'), /answered EL to S: logical error/);
    });

    it('fails on a serial line that does not exist, naming it', async () => {
      const binding = scaleOnMockLine(path, simulator.scale);
      await assert.rejects(
        createConnector({ binding }).open({ transport: 'serial', path: '/dev/ttyNONE', timeoutMs }),
        /cannot open the serial line \/dev\/ttyNONE/,
      );
    });
  });
});
