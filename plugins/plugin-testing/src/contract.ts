import assert from 'node:assert/strict';
import { DeviceRefusal, type DeviceConnection, type DeviceConnector, type Reading } from '@attest/plugin-api';

/** What the contract suite needs of a connector and the simulator it is tested against. */
export interface ConnectorHarness<Settings> {
  connector: DeviceConnector<Settings>;
  /** Starts the simulator (again, after `stop`) and gives the settings that reach it. */
  start(): Promise<Settings>;
  /** Stops the simulator at once, connections and all: a device switched off mid-session. */
  stop(): Promise<void>;
  /** Settings of a device that accepts the connection or the line but never answers. */
  silent(): Promise<Settings>;
  /** From now on the simulator answers with bytes that are not the protocol (`false`: normal again). */
  garble(on: boolean): void;
  /**
   * From now on the device answers reads of `channel` as its protocol says, but with no value: a busy
   * scale (`S I`), a Modbus exception, an OPC UA `Bad` status (`false`: normal again). Optional: a
   * connector whose device cannot say "no" has none.
   */
  refuse?(on: boolean): void;
  /** A channel that reads a good value. */
  channel: string;
  /** A channel the device does not have. */
  unknownChannel: string;
  /** The time-out the settings give the connector, in milliseconds. */
  timeoutMs: number;
}

const STATUSES: Reading['status'][] = ['ok', 'unstable', 'overload', 'underload', 'error'];

/** A reading as the contract says it must be: every field present, of its type, traced to its source. */
export function assertReading(reading: Reading, channel: string, since: number): void {
  assert.equal(typeof reading.deviceId, 'string');
  assert.ok(reading.deviceId.length > 0, 'a reading names the device it came from');
  assert.equal(reading.channel, channel);
  assert.ok(STATUSES.includes(reading.status), `status ${reading.status}`);
  assert.equal(typeof reading.stable, 'boolean');
  if (reading.status === 'ok') assert.notEqual(reading.value, null, 'a good reading has a value');
  assert.ok(reading.unit === null || typeof reading.unit === 'string');
  assert.ok(reading.deviceTime === null || !Number.isNaN(Date.parse(reading.deviceTime)));
  const at = Date.parse(reading.serverTime);
  assert.ok(at >= since - 1 && at <= Date.now() + 1, 'the server time is when it was received');
  assert.equal(typeof reading.raw, 'string');
  assert.ok(reading.raw.length > 0, 'a reading keeps the device’s own answer');
}

/** Waits until `read` succeeds, as a connector that reconnects by itself lets it, or fails after `ms`. */
async function eventually(read: () => Promise<Reading>, ms: number): Promise<Reading> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * The contract every device connector passes against its simulator: good readings carry their
 * source; an unknown channel, a device that does not answer, one that answers garbage and one
 * switched off mid-session are clear errors and never a value; a device's "no" is a DeviceRefusal
 * and a failure of the line is not; the connection comes back by itself;
 * a subscription delivers and stops; a closed connection reads nothing.
 */
export function connectorContract<Settings>(name: string, harness: () => ConnectorHarness<Settings>): void {
  describe(`Contract: ${name} as a device connector`, function () {
    this.timeout(60_000);
    let h: ConnectorHarness<Settings>;
    let settings: Settings;
    let connection: DeviceConnection | null = null;
    before(async () => {
      h = harness();
      settings = await h.start();
    });
    afterEach(async () => {
      h.garble(false);
      h.refuse?.(false);
      await connection?.close();
      connection = null;
    });
    after(() => h.stop());

    it('reads a channel: the value with its unit, stability, status, times and the raw answer', async () => {
      connection = await h.connector.open(settings);
      const since = Date.now();
      const reading = await connection.read(h.channel);
      assertReading(reading, h.channel, since);
      assert.equal(reading.status, 'ok');
    });

    it('refuses a channel the device does not have, naming it', async () => {
      connection = await h.connector.open(settings);
      await assert.rejects(connection.read(h.unknownChannel), (e: Error) =>
        e.message.includes(h.unknownChannel),
      );
    });

    it('gives up on a device that does not answer within its time-out, saying so', async () => {
      const started = Date.now();
      await assert.rejects(
        (async () => {
          connection = await h.connector.open(await h.silent());
          return connection.read(h.channel);
        })(),
        (e: Error) => /time|answer|respond/i.test(e.message) && !(e instanceof DeviceRefusal),
      );
      assert.ok(Date.now() - started < h.timeoutMs * 4 + 2000, 'it gives up in time');
    });

    it('refuses an answer that is not the protocol, with no value', async () => {
      connection = await h.connector.open(settings);
      h.garble(true);
      await assert.rejects(connection.read(h.channel), (e: Error) => e.message.length > 0);
    });

    it('fails a read while the device is off, and reads again once it is back, by itself', async () => {
      connection = await h.connector.open(settings);
      await connection.read(h.channel);
      await h.stop();
      await assert.rejects(connection.read(h.channel), (e: Error) => !(e instanceof DeviceRefusal));
      settings = await h.start();
      const since = Date.now();
      const open = connection;
      assertReading(await eventually(() => open.read(h.channel), h.timeoutMs * 10 + 5000), h.channel, since);
    });

    it('says a device’s “no” as a DeviceRefusal, and reads on over the same connection once the device gives values again', async function () {
      if (!h.refuse) this.skip();
      connection = await h.connector.open(settings);
      await connection.read(h.channel);
      h.refuse(true);
      await assert.rejects(
        connection.read(h.channel),
        (e: Error) => e instanceof DeviceRefusal && e.message.length > 0,
      );
      h.refuse(false);
      const since = Date.now();
      assertReading(await connection.read(h.channel), h.channel, since);
    });

    it('delivers readings to a subscription until it is ended, where the connector subscribes', async function () {
      connection = await h.connector.open(settings);
      if (!connection.subscribe) this.skip();
      const readings: Reading[] = [];
      const errors: Error[] = [];
      const since = Date.now();
      const end = connection.subscribe!(
        h.channel,
        (r) => readings.push(r),
        (e) => errors.push(e),
      );
      const until = Date.now() + h.timeoutMs * 10 + 5000;
      while (readings.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      end();
      assert.ok(readings.length >= 2, `${readings.length} readings`);
      for (const r of readings) assertReading(r, h.channel, since);
      const count = readings.length;
      await new Promise((r) => setTimeout(r, Math.max(500, h.timeoutMs)));
      assert.ok(readings.length <= count + 1, 'no readings after the end');
      assert.deepEqual(errors, []);
    });

    it('reads nothing once closed, and closes twice without harm', async () => {
      const open = await h.connector.open(settings);
      await open.close();
      await open.close();
      await assert.rejects(open.read(h.channel));
    });
  });
}
