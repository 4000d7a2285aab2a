import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceConnection } from '@attest/plugin-api';
import type { SerialPort } from 'serialport';
import { connector, type Settings } from '../src/index.ts';
import { ModbusSimulator, SIMULATED_CHANNELS } from '../src/simulator.ts';

/** The Modbus CRC-16 (polynomial 0xA001, initial 0xFFFF), as an RTU frame ends with it, low byte first. */
function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc;
}

/** The length of the RTU request frame at the start of `bytes`, or null while it is incomplete. */
function requestLength(bytes: Buffer): number | null {
  if (bytes.length < 8) return null;
  const functionCode = bytes[1] as number;
  if (functionCode !== 15 && functionCode !== 16) return 8;
  return bytes.length < 7 ? null : 9 + (bytes[6] as number);
}

/**
 * The simulator's device behind a serial line: RTU frames (unit, PDU, CRC) in and out on one end
 * of a pseudo-terminal pair, the connector on the other; a unit that is not the simulator's gets no
 * answer, as on a real bus.
 */
function serveRtu(port: SerialPort, device: ModbusSimulator, unitId: number, garble: () => boolean): void {
  let pending = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (
      let length = requestLength(pending);
      length !== null && pending.length >= length;
      length = requestLength(pending)
    ) {
      const frame = pending.subarray(0, length);
      pending = pending.subarray(length);
      if (crc16(frame.subarray(0, -2)) !== frame.readUInt16LE(length - 2) || frame[0] !== unitId) continue;
      const body = Buffer.concat([frame.subarray(0, 1), device.respond(unitId, frame.subarray(1, -2))]);
      const crc = Buffer.alloc(2);
      crc.writeUInt16LE(garble() ? crc16(body) ^ 0xffff : crc16(body));
      port.write(Buffer.concat([body, crc]));
    }
  });
}

describe('plc-modbus over Modbus RTU (a pseudo-terminal pair, no hardware)', function () {
  this.timeout(20_000);
  const dir = mkdtempSync(join(tmpdir(), 'attest-modbus-rtu-'));
  const connectorEnd = join(dir, 'connector');
  const deviceEnd = join(dir, 'device');
  let socat: ChildProcess | null = null;
  let line: SerialPort | null = null;
  let connection: DeviceConnection | null = null;
  let garbling = false;
  const device = new ModbusSimulator({ unitId: 17 });

  before(async function () {
    // serialport is modbus-serial's optional dependency, and socat makes the pseudo-terminal pair
    const serial = await import('serialport').catch(() => null);
    if (!serial || spawnSync('socat', ['-V']).status !== 0) this.skip();
    socat = spawn('socat', [`pty,raw,echo=0,link=${connectorEnd}`, `pty,raw,echo=0,link=${deviceEnd}`], {
      stdio: 'ignore',
    });
    const until = Date.now() + 5000;
    while (!(existsSync(connectorEnd) && existsSync(deviceEnd)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const port = new serial.SerialPort({ path: deviceEnd, baudRate: 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    line = port;
    serveRtu(port, device, 17, () => garbling);
  });
  afterEach(async () => {
    garbling = false;
    await connection?.close();
    connection = null;
  });
  after(async () => {
    if (line?.isOpen) await new Promise<void>((resolve) => line?.close(() => resolve()));
    socat?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  function settings(unitId = 17): Settings {
    return {
      transport: 'rtu',
      path: connectorEnd,
      baudRate: 19200,
      parity: 'none',
      unitId,
      timeoutMs: 500,
      channels: { ...SIMULATED_CHANNELS },
    };
  }

  it('reads registers and bits and writes a set point in RTU frames, naming the line and the unit', async () => {
    device.setWeight(42.25);
    device.setBit('coil', 0, true);
    connection = await connector.open(settings());
    const weight = await connection.read('weight');
    assert.equal(weight.value, 42.25);
    assert.equal(weight.raw, '4229 0000');
    assert.equal(weight.deviceId, `modbus-rtu://${connectorEnd}/17`);
    assert.equal((await connection.read('pump')).value, true);
    await connection.write!('setpoint', 18.5);
    assert.equal(device.holding[100], 185);
  });

  it('gives a Modbus exception from the serial device as an error naming its code', async () => {
    device.exceptionAt('input', 10, 2);
    try {
      connection = await connector.open(settings());
      await assert.rejects(connection.read('weight'), /Modbus exception 2 \(illegal data address/);
    } finally {
      device.exceptionAt('input', 10, null);
    }
  });

  it('refuses an answer with a bad CRC, and gives up on a unit that does not answer', async () => {
    connection = await connector.open(settings());
    garbling = true;
    await assert.rejects(connection.read('weight'), /not valid Modbus \(CRC error\)/);
    garbling = false;
    await connection.close();
    connection = await connector.open(settings(18));
    await assert.rejects(connection.read('weight'), /no answer to reading weight within 500 ms/);
  });
});
