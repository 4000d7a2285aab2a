import net from 'node:net';
import type { Area, Channel } from './settings.ts';

/** How a simulator is started. */
export interface SimulatorOptions {
  /** The TCP port; 0 (default) takes a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The unit id it answers to (and 0 or 255, as a TCP device does); default 1. */
  unitId?: number;
  /** Accepts connections and never answers: a device that hangs. */
  silent?: boolean;
  /** Where `runSimulator` logs; default `console.log`. */
  log?: (line: string) => void;
}

/**
 * The register map of the simulated device, as a device's settings give it: a temperature that
 * moves (input registers 0, int16 in tenths of °C), a weight as float32 (input registers 10–11), a
 * writable set point (holding register 100, int16 in tenths of °C), a writable pump coil (coil 0)
 * and a door switch (discrete input 0).
 */
export const SIMULATED_CHANNELS: Readonly<Record<string, Channel>> = {
  temperature: { area: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C' },
  weight: { area: 'input', address: 10, type: 'float32', unit: 'kg' },
  setpoint: { area: 'holding', address: 100, type: 'int16', scale: 0.1, unit: '°C', writable: true },
  pump: { area: 'coil', address: 0, type: 'bool', writable: true },
  door: { area: 'discrete', address: 0, type: 'bool' },
};

const TEMPERATURE = 0;
const WEIGHT = 10;
const MAX_REGISTERS = 125;
const MAX_BITS = 2000;
const GARBAGE = Buffer.from('\xff\xfeNOT MODBUS\r\n', 'latin1');

/**
 * A Modbus TCP server on the loopback that speaks the protocol byte for byte (MBAP header and
 * function codes 1, 2, 3, 4, 5, 6, 15 and 16), with controls for tests and demos: set registers and
 * bits, the weight, answer an exception at an address, answer garbage, or never answer.
 */
export class ModbusSimulator {
  readonly holding = new Uint16Array(65536);
  readonly input = new Uint16Array(65536);
  readonly coils = new Uint8Array(65536);
  readonly discrete = new Uint8Array(65536);
  /** The last 1000 requests received, as unit, function code and address, for tests that check what went on the wire. */
  readonly requests: { unitId: number; functionCode: number; address: number }[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly exceptions = new Map<string, number>();
  private garbling = false;
  private temperatureMoves = true;
  private readonly started = Date.now();
  private lastPort = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.setWeight(12.5);
    this.holding[100] = 215;
  }

  /** The port it listens on (the last one, once stopped); 0 before the first start. */
  get port(): number {
    return this.lastPort;
  }

  /** Starts listening (on the same port as before after a `stop`, so a device comes back where it was). */
  async start(port = this.lastPort || this.options.port || 0): Promise<number> {
    if (this.server) return this.lastPort;
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.lastPort = (server.address() as net.AddressInfo).port;
    return this.lastPort;
  }

  /** Stops at once: the listener closes and every connection is destroyed, as when a device is switched off. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** From now on every answer is bytes that are not a Modbus TCP frame (`false`: normal again). */
  garble(on: boolean): void {
    this.garbling = on;
  }

  /** Answers requests touching `address` of `area` with exception `code` (null: normal again). */
  exceptionAt(area: Area, address: number, code: number | null): void {
    if (code === null) this.exceptions.delete(`${area}:${address}`);
    else this.exceptions.set(`${area}:${address}`, code);
  }

  /** Sets registers from `address` on. */
  setRegisters(area: 'holding' | 'input', address: number, words: readonly number[]): void {
    words.forEach((w, i) => (this[area][address + i] = w & 0xffff));
  }

  /** Sets a coil or a discrete input. */
  setBit(area: 'coil' | 'discrete', address: number, on: boolean): void {
    (area === 'coil' ? this.coils : this.discrete)[address] = on ? 1 : 0;
  }

  /** Sets the weight (input registers 10–11, float32, big-endian words and bytes). */
  setWeight(kg: number): void {
    const bytes = Buffer.alloc(4);
    bytes.writeFloatBE(kg, 0);
    this.setRegisters('input', WEIGHT, [bytes.readUInt16BE(0), bytes.readUInt16BE(2)]);
  }

  /** Sets the temperature (input register 0, tenths of °C) and stops it moving; `null` lets it move again. */
  setTemperature(celsius: number | null): void {
    this.temperatureMoves = celsius === null;
    if (celsius !== null) this.setRegisters('input', TEMPERATURE, [Math.round(celsius * 10)]);
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (this.options.silent) return;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 7) {
        const length = pending.readUInt16BE(4);
        if (pending.readUInt16BE(2) !== 0 || length < 2 || length > 254) {
          socket.destroy();
          return;
        }
        if (pending.length < 6 + length) return;
        const frame = pending.subarray(0, 6 + length);
        pending = pending.subarray(6 + length);
        const answer = this.answer(frame);
        socket.write(this.garbling ? GARBAGE : answer);
      }
    });
  }

  /** The answer to one request frame (MBAP header + PDU), with the request's transaction id. */
  private answer(frame: Buffer): Buffer {
    const unitId = frame[6] as number;
    const body = this.respond(unitId, frame.subarray(7));
    const out = Buffer.alloc(7 + body.length);
    frame.copy(out, 0, 0, 4);
    out.writeUInt16BE(1 + body.length, 4);
    out[6] = unitId;
    body.copy(out, 7);
    return out;
  }

  /**
   * The answer PDU (function code first) to a request PDU addressed to `unitId`: what a Modbus TCP
   * frame or a Modbus RTU frame carries. Another unit than this one (or 0 or 255) gets exception 11.
   */
  respond(unitId: number, request: Buffer): Buffer {
    const functionCode = request[0] as number;
    const pdu = request.subarray(1);
    const address = pdu.length >= 2 ? pdu.readUInt16BE(0) : -1;
    this.requests.push({ unitId, functionCode, address });
    if (this.requests.length > 1000) this.requests.shift();
    const mine = this.options.unitId ?? 1;
    if (unitId !== mine && unitId !== 0 && unitId !== 255) return exception(functionCode, 11);
    return this.handle(functionCode, pdu);
  }

  private handle(functionCode: number, pdu: Buffer): Buffer {
    if (pdu.length < 4) return exception(functionCode, 3);
    const address = pdu.readUInt16BE(0);
    const second = pdu.readUInt16BE(2);
    const area = AREA_OF[functionCode];
    if (!area) return exception(functionCode, 1);
    const count = functionCode === 5 || functionCode === 6 ? 1 : second;
    const max = functionCode <= 2 || functionCode === 15 ? MAX_BITS : MAX_REGISTERS;
    if (count < 1 || count > max || address + count > 65536)
      return exception(functionCode, count > max || count < 1 ? 3 : 2);
    for (let a = address; a < address + count; a++) {
      const code = this.exceptions.get(`${area}:${a}`);
      if (code !== undefined) return exception(functionCode, code);
    }
    if (this.temperatureMoves) this.moveTemperature();
    switch (functionCode) {
      case 1:
      case 2:
        return this.readBits(functionCode, functionCode === 1 ? this.coils : this.discrete, address, count);
      case 3:
      case 4:
        return readWords(functionCode, functionCode === 3 ? this.holding : this.input, address, count);
      case 5:
        if (second !== 0xff00 && second !== 0) return exception(functionCode, 3);
        this.coils[address] = second === 0xff00 ? 1 : 0;
        return Buffer.concat([Buffer.of(functionCode), pdu.subarray(0, 4)]);
      case 6:
        this.holding[address] = second;
        return Buffer.concat([Buffer.of(functionCode), pdu.subarray(0, 4)]);
      case 15:
        return this.writeCoils(pdu, address, count);
      default:
        return this.writeRegisters(pdu, address, count);
    }
  }

  private readBits(functionCode: number, bits: Uint8Array, address: number, count: number): Buffer {
    const bytes = Buffer.alloc(Math.ceil(count / 8));
    for (let i = 0; i < count; i++)
      if (bits[address + i]) bytes[i >> 3] = (bytes[i >> 3] as number) | (1 << (i & 7));
    return Buffer.concat([Buffer.of(functionCode, bytes.length), bytes]);
  }

  private writeCoils(pdu: Buffer, address: number, count: number): Buffer {
    const byteCount = pdu[4];
    if (byteCount !== Math.ceil(count / 8) || pdu.length < 5 + (byteCount as number)) return exception(15, 3);
    for (let i = 0; i < count; i++) this.coils[address + i] = ((pdu[5 + (i >> 3)] as number) >> (i & 7)) & 1;
    return Buffer.concat([Buffer.of(15), pdu.subarray(0, 4)]);
  }

  private writeRegisters(pdu: Buffer, address: number, count: number): Buffer {
    const byteCount = pdu[4];
    if (byteCount !== count * 2 || pdu.length < 5 + count * 2) return exception(16, 3);
    for (let i = 0; i < count; i++) this.holding[address + i] = pdu.readUInt16BE(5 + i * 2);
    return Buffer.concat([Buffer.of(16), pdu.subarray(0, 4)]);
  }

  /** 21.5 °C ± 1.5 °C over a minute, in tenths. */
  private moveTemperature(): void {
    const t = (Date.now() - this.started) / 60_000;
    this.input[TEMPERATURE] = Math.round(215 + 15 * Math.sin(2 * Math.PI * t)) & 0xffff;
  }
}

const AREA_OF: Readonly<Record<number, Area>> = {
  1: 'coil',
  2: 'discrete',
  3: 'holding',
  4: 'input',
  5: 'coil',
  6: 'holding',
  15: 'coil',
  16: 'holding',
};

function exception(functionCode: number, code: number): Buffer {
  return Buffer.of(functionCode | 0x80, code);
}

function readWords(functionCode: number, words: Uint16Array, address: number, count: number): Buffer {
  const out = Buffer.alloc(2 + count * 2);
  out[0] = functionCode;
  out[1] = count * 2;
  for (let i = 0; i < count; i++) out.writeUInt16BE(words[address + i] as number, 2 + i * 2);
  return out;
}

/**
 * Runs a simulator for demos (`attest simulate modbus`): logs where it listens and the register
 * map a device's settings need to read it, and stops on SIGINT or SIGTERM.
 */
export async function runSimulator(options: SimulatorOptions = {}): Promise<ModbusSimulator> {
  const log = options.log ?? ((line: string) => console.log(line));
  const simulator = new ModbusSimulator(options);
  const port = await simulator.start(options.port ?? 0);
  const host = options.host ?? '127.0.0.1';
  log(
    `Modbus TCP simulator on ${host}:${port}, unit ${options.unitId ?? 1}${options.silent ? ' (silent)' : ''}`,
  );
  for (const [name, channel] of Object.entries(SIMULATED_CHANNELS)) {
    log(
      `  ${name}: ${channel.area} ${channel.address} ${channel.type ?? ''}${channel.unit ? ` ${channel.unit}` : ''}`,
    );
  }
  log(
    `Settings: ${JSON.stringify({ transport: 'tcp', host, port, unitId: options.unitId ?? 1, channels: SIMULATED_CHANNELS })}`,
  );
  const stop = (): void => {
    void simulator.stop().then(() => log('Modbus TCP simulator stopped'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return simulator;
}
