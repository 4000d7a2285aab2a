import assert from 'node:assert/strict';
import type { DeviceConnection, Reading } from '@attest/plugin-api';
import { browse, connector } from '../src/index.ts';
import {
  bankNodeId,
  OpcUaSimulator,
  SIMULATED_NODES,
  SIMULATOR_APPLICATION_URI,
  silentServer,
} from '../src/simulator.ts';
import { settingsFor, TIMEOUT_MS } from './harness.ts';
import { FreezingRelay } from './proxy.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, or fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Retries `read` until it succeeds, as a connector that reconnects by itself lets it, or fails after `ms`. */
async function eventually(read: () => Promise<Reading>, ms: number): Promise<Reading> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > end) throw error;
      await sleep(100);
    }
  }
}

describe('OPC UA connector', function () {
  this.timeout(60_000);
  const simulator = new OpcUaSimulator();
  let endpointUrl: string;
  let connection: DeviceConnection | null = null;
  before(async () => {
    endpointUrl = await simulator.start();
  });
  afterEach(async () => {
    simulator.setQuality('good');
    simulator.garble(false);
    await connection?.close();
    connection = null;
  });
  after(() => simulator.stop());

  describe('read', () => {
    it('E2, E3: reads a value with the unit of its EngineeringUnits, the server’s identity, the source time stamp and the DataValue as text', async () => {
      simulator.setWeight(12.5);
      connection = await connector.open(settingsFor(endpointUrl));
      const since = Date.now();
      const reading = await connection.read('weight');
      assert.equal(reading.value, 12.5);
      assert.equal(reading.unit, 'kg');
      assert.equal(reading.status, 'ok');
      assert.equal(reading.stable, true);
      assert.equal(reading.deviceId, SIMULATOR_APPLICATION_URI);
      assert.ok(reading.deviceTime && Date.parse(reading.deviceTime) <= Date.now());
      assert.ok(Date.parse(reading.serverTime) >= since - 1);
      assert.match(reading.raw, /^value=Double 12\.5; status=Good \(0x00000000\); sourceTimestamp=\d{4}-/);
      assert.equal((await connection.read('temperature')).unit, '°C');
      assert.equal((await connection.read('stable')).value, true);
    });

    it('takes the unit of the settings where the node has no EngineeringUnits, and none where neither has one', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      assert.equal((await connection.read('quality')).unit, 'mbar');
      assert.equal((await connection.read('stable')).unit, null);
    });

    it('E6: refuses a Bad value, naming its status code and what it means, with no value', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      simulator.setQuality('bad');
      await assert.rejects(connection.read('quality'), (e: Error) => {
        assert.match(e.message, /"quality" has status BadSensorFailure \(0x808C0000\): .*sensor/i);
        return true;
      });
    });

    it('E6: refuses an Uncertain value the same way', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      simulator.setQuality('uncertain');
      await assert.rejects(connection.read('quality'), /status UncertainLastUsableValue \(0x40900000\)/);
    });

    it('refuses a node the server does not have, with the server’s status', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      await assert.rejects(connection.read('missing'), /"missing" has status BadNodeIdUnknown/);
    });
  });

  describe('subscribe', () => {
    /**
     * The weights the subscription delivers when the scale shows `first`, then each of `within`
     * (inside the dead band), then `past` (beyond it), then `after` (inside it again).
     */
    async function throughDeadband(
      deadbandType: 'Absolute' | 'Percent',
      weights: { first: number; within: number[]; past: number; after: number },
    ): Promise<Reading['value'][]> {
      simulator.setWeight(weights.first);
      const open = await connector.open(
        settingsFor(endpointUrl, {
          subscription: { samplingIntervalMs: 50, publishingIntervalMs: 100, deadbandType, deadbandValue: 1 },
        }),
      );
      connection = open;
      const values: Reading['value'][] = [];
      const errors: Error[] = [];
      const end = open.subscribe!(
        'weight',
        (r) => values.push(r.value),
        (e) => errors.push(e),
      );
      try {
        await until(() => values.length === 1, 10_000, 'the first value');
        for (const kg of weights.within) {
          simulator.setWeight(kg);
          await sleep(250);
        }
        simulator.setWeight(weights.past);
        await until(() => values.length === 2, 10_000, 'the value past the dead band');
        simulator.setWeight(weights.after);
        await sleep(600);
      } finally {
        end();
      }
      assert.deepEqual(errors, []);
      return values;
    }

    it('delivers a change only when it passes the absolute dead band', async () => {
      const values = await throughDeadband('Absolute', {
        first: 10,
        within: [10.3, 10.6, 10.9],
        past: 11.5,
        after: 11.6,
      });
      assert.deepEqual(values, [10, 11.5]);
    });

    it('delivers a change only when it passes the percent dead band, a share of the node’s EURange', async () => {
      const values = await throughDeadband('Percent', {
        first: 100,
        within: [103, 105],
        past: 107,
        after: 110,
      });
      assert.deepEqual(values, [100, 107], '1 % of 0–600 kg is 6 kg');
    });

    it('E6: gives a Bad value to the error callback, never as a reading', async () => {
      connection = await connector.open(
        settingsFor(endpointUrl, { subscription: { samplingIntervalMs: 50, publishingIntervalMs: 100 } }),
      );
      const readings: Reading[] = [];
      const errors: Error[] = [];
      const end = connection.subscribe!(
        'quality',
        (r) => readings.push(r),
        (e) => errors.push(e),
      );
      try {
        await until(() => readings.length === 1, 10_000, 'the first value');
        simulator.setQuality('bad');
        await until(() => errors.length === 1, 10_000, 'the bad value');
      } finally {
        end();
      }
      assert.equal(readings.length, 1);
      assert.match(errors[0]!.message, /BadSensorFailure/);
    });
  });

  describe('write', () => {
    it('writes a writable channel, and the server takes the value', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      await connection.write!('setPoint', 80);
      assert.equal((await connection.read('setPoint')).value, 80);
      const before = (await connection.read('temperature')).value as number;
      await until(() => simulator.temperatureNow > before + 1, 10_000, 'the temperature to rise');
    });

    it('refuses a channel its settings do not make writable, sending nothing', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      const before = (await connection.read('setPoint')).value;
      await assert.rejects(connection.write!('setPointReadOnly', 5), /"setPointReadOnly" is not writable/);
      assert.equal((await connection.read('setPoint')).value, before);
    });

    it('refuses a value of the wrong type before sending it', async () => {
      connection = await connector.open(settingsFor(endpointUrl));
      await assert.rejects(connection.write!('setPoint', 'hot'), /"setPoint" takes a Double, not "hot"/);
    });

    it('reports the server’s refusal of a node it does not let anyone write', async () => {
      connection = await connector.open(
        settingsFor(endpointUrl, {
          channels: { weight: { nodeId: SIMULATED_NODES.weight, writable: true } },
        }),
      );
      await assert.rejects(
        connection.write!('weight', 3),
        /refused the write of "weight": Bad(NotWritable|UserAccessDenied)/,
      );
    });
  });

  describe('browse', () => {
    it('lists the objects of the server and the variables of an object, with their data types', async () => {
      const settings = { endpointUrl, timeoutMs: TIMEOUT_MS, pkiFolder: settingsFor(endpointUrl).pkiFolder! };
      const objects = await browse(settings);
      const scale = objects.find((n) => n.browseName === '1:Scale');
      assert.deepEqual(scale, {
        nodeId: 'ns=1;s=Scale',
        browseName: '1:Scale',
        displayName: 'Scale',
        nodeClass: 'Object',
        dataType: null,
      });
      assert.ok(objects.some((n) => n.browseName === '1:Reactor'));
      assert.ok(objects.some((n) => n.browseName === 'Server'));
      const variables = await browse(settings, 'ns=1;s=Scale');
      assert.deepEqual(variables.map((n) => [n.nodeId, n.nodeClass, n.dataType]).sort(), [
        [SIMULATED_NODES.stable, 'Variable', 'Boolean'],
        [SIMULATED_NODES.weight, 'Variable', 'Double'],
      ]);
      const properties = await browse(settings, SIMULATED_NODES.weight);
      assert.equal(properties.find((n) => n.browseName === 'EngineeringUnits')?.dataType, 'EUInformation');
    });

    it('refuses a node id the server does not have, and text that is not a node id', async () => {
      const settings = { endpointUrl, timeoutMs: TIMEOUT_MS, pkiFolder: settingsFor(endpointUrl).pkiFolder! };
      await assert.rejects(browse(settings, 'ns=1;s=Nowhere'), /cannot be browsed: BadNodeIdUnknown/);
      await assert.rejects(browse(settings, 'Scale'), /"Scale" is not an OPC UA node id/);
    });
  });

  describe('faults', () => {
    it('E6: gives up on a read the server never answers mid-session, and reads again on a new session', async () => {
      const relay = new FreezingRelay(Number(new URL(endpointUrl.replace('opc.tcp', 'http')).port));
      const via = `opc.tcp://127.0.0.1:${await relay.start()}`;
      try {
        connection = await connector.open(settingsFor(via));
        await connection.read('weight');
        relay.frozen = true;
        const started = Date.now();
        await assert.rejects(
          connection.read('weight'),
          new RegExp(`server ${via} did not answer a read of "weight" within ${TIMEOUT_MS} ms`),
        );
        assert.ok(Date.now() - started < TIMEOUT_MS * 3, 'it gives up in time');
        const aborting = new AbortController();
        const aborted = connection.read('weight', aborting.signal);
        aborting.abort(new Error('the step was cancelled'));
        await assert.rejects(aborted, /the step was cancelled/);
        relay.thaw();
        assert.equal((await eventually(() => connection!.read('weight'), 20_000)).channel, 'weight');
      } finally {
        await connection?.close();
        connection = null;
        await relay.stop();
      }
    });

    it('E6: gives up on a server that accepts the connection and never answers, within the time-out', async () => {
      const silent = await silentServer();
      try {
        const started = Date.now();
        await assert.rejects(
          connector.open(settingsFor(`opc.tcp://127.0.0.1:${silent.port}`)),
          new RegExp(
            `server opc.tcp://127.0.0.1:${silent.port} did not answer the connection within ${TIMEOUT_MS} ms`,
          ),
        );
        assert.ok(Date.now() - started < TIMEOUT_MS * 3, 'it gives up in time');
      } finally {
        await silent.stop();
      }
    });

    it('E6: fails a read while the server is down within the time-out, and reads and delivers again once it is back', async () => {
      connection = await connector.open(
        settingsFor(endpointUrl, { subscription: { samplingIntervalMs: 50, publishingIntervalMs: 100 } }),
      );
      const readings: Reading[] = [];
      const errors: Error[] = [];
      const end = connection.subscribe!(
        'temperature',
        (r) => readings.push(r),
        (e) => errors.push(e),
      );
      try {
        await until(() => readings.length > 0, 10_000, 'the first value');
        await simulator.stop();
        const started = Date.now();
        await assert.rejects(
          connection.read('weight'),
          new RegExp(`OPC UA server ${endpointUrl} (refused the connection|did not answer)`),
        );
        assert.ok(Date.now() - started < TIMEOUT_MS * 3, 'it gives up in time');
        await until(() => errors.length > 0, 10_000, 'the subscription to hear of it');
        await simulator.start();
        const reading = await eventually(() => connection!.read('weight'), 20_000);
        assert.equal(reading.channel, 'weight');
        const count = readings.length;
        await until(() => readings.length > count, 30_000, 'the subscription to deliver again');
      } finally {
        end();
      }
    });
  });

  describe('settings', () => {
    it('refuses settings it cannot use, naming the setting', async () => {
      await assert.rejects(
        connector.open({ ...settingsFor(endpointUrl), endpointUrl: 'http://x' }),
        /endpointUrl must be an opc\.tcp:\/\/ URL/,
      );
      await assert.rejects(
        connector.open({ ...settingsFor(endpointUrl), securityMode: 'Sign', securityPolicy: 'None' }),
        /securityMode Sign cannot go with securityPolicy None/,
      );
      await assert.rejects(
        connector.open({ ...settingsFor(endpointUrl), userName: 'qa' }),
        /userName and password go together/,
      );
      await assert.rejects(
        connector.open({ ...settingsFor(endpointUrl), channels: { t: { nodeId: 'not a node' } } }),
        /channel "t" has the nodeId "not a node", which is not an OPC UA node id/,
      );
    });
  });
});

describe('OPC UA simulator bank', function () {
  this.timeout(60_000);

  it('serves a bank of variables that change together, each to the number of the change, every one sent to a subscriber', async () => {
    const banked = new OpcUaSimulator({ bank: { size: 3, intervalMs: 200 } });
    const endpointUrl = await banked.start();
    const channels = Object.fromEntries([0, 1, 2].map((i) => [`v${i}`, { nodeId: bankNodeId(i) }]));
    const connection = await connector.open({
      ...settingsFor(endpointUrl),
      channels,
      subscription: { samplingIntervalMs: 0, publishingIntervalMs: 100 },
    });
    const received: number[][] = [[], [], []];
    const ends = [0, 1, 2].map((i) =>
      connection.subscribe!(
        `v${i}`,
        (reading) => received[i]!.push(Number(reading.value)),
        (error) => assert.fail(error),
      ),
    );
    try {
      await until(() => received.every((values) => values.length >= 4), 20_000, 'four values of each');
      const reading = await connection.read('v1');
      assert.equal(typeof reading.value, 'number');
      assert.ok((reading.value as number) <= banked.bankChanges);
      for (const values of received) {
        // After the value at subscription, each change in turn: none skipped, none twice
        const first = values[0]!;
        assert.deepEqual(values.slice(0, 4), [first, first + 1, first + 2, first + 3]);
      }
    } finally {
      for (const end of ends) end();
      await connection.close();
      await banked.stop();
    }
  });

  it('has no bank unless asked, and refuses a bank of a negative size', async () => {
    const plain = new OpcUaSimulator();
    const endpointUrl = await plain.start();
    const connection = await connector.open({
      ...settingsFor(endpointUrl),
      channels: { v0: { nodeId: bankNodeId(0) } },
    });
    try {
      await assert.rejects(connection.read('v0'), /BadNodeIdUnknown/);
      assert.equal(plain.bankChanges, 0);
    } finally {
      await connection.close();
      await plain.stop();
    }
    assert.throws(() => new OpcUaSimulator({ bank: { size: -1 } }), /bank.size must be a whole number/);
  });
});
