/**
 * An MT-SICS scale on the loopback, byte for byte: a TCP server answering `S`, `SI`, `SIR`, `Z`,
 * `T`, `TA`, `@`, `I2` and `I4` from a load, unit, stability and range a test or a demo sets; it can
 * answer garbage, or (as a silent scale) accept connections and never answer.
 */
import net from 'node:net';

/** The state of the simulated scale: what is on the pan, and how the scale reports it. */
export interface ScaleState {
  /** The gross load on the pan, in `unit`. */
  load: number;
  unit: string;
  decimals: number;
  stable: boolean;
  /** `overload`/`underload` make weights `S +`/`S -`, and zero and tare refused with `+`/`-`. */
  range: 'ok' | 'overload' | 'underload';
  /** The load taken as zero by `Z`. */
  zero: number;
  /** The tare taken by `T` or preset by `TA`. */
  tare: number;
  serialNumber: string;
  model: string;
}

const STREAM_EVERY_MS = 100;

/** A session on one link: the commands it receives in, the answers it sends out. */
export class ScaleSession {
  private buffer = '';
  private stream: NodeJS.Timeout | null = null;
  private waiting: { timer: NodeJS.Timeout; send: () => void } | null = null;

  constructor(
    private readonly scale: ScaleModel,
    private readonly send: (text: string) => void,
  ) {}

  /** Bytes received from the client. */
  receive(chunk: Buffer | string): void {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.command(line);
    }
  }

  /** Ends the session's stream and waits. */
  end(): void {
    if (this.stream) clearInterval(this.stream);
    if (this.waiting) clearTimeout(this.waiting.timer);
    this.stream = null;
    this.waiting = null;
  }

  /** Answers a waiting `S` once the scale is stable. */
  stabilised(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.waiting = null;
    waiting.send();
  }

  private answer(line: string): void {
    if (this.scale.silent) return;
    this.send(this.scale.garbled ? '\x02\x7f#?garbled\xff\x00\r\n' : `${line}\r\n`);
  }

  private command(line: string): void {
    this.end(); // any command ends SIR and a waiting S
    const forced = this.scale.nextAnswer;
    if (forced !== null) {
      this.scale.nextAnswer = null;
      return this.answer(forced);
    }
    const [name = '', ...args] = line.trim().split(/ +/);
    const state = this.scale.state;
    if (this.scale.busy && (name === 'S' || name === 'SI' || name === 'SIR')) return this.answer('S I');
    switch (name) {
      case 'S':
        if (state.stable || state.range !== 'ok') return this.answer(this.scale.weightLine());
        this.waiting = {
          send: () => this.answer(this.scale.weightLine()),
          timer: setTimeout(() => {
            this.waiting = null;
            this.answer('S I');
          }, this.scale.stabilityWaitMs),
        };
        return;
      case 'SI':
        return this.answer(this.scale.weightLine());
      case 'SIR':
        this.answer(this.scale.weightLine());
        this.stream = setInterval(() => this.answer(this.scale.weightLine()), STREAM_EVERY_MS);
        return;
      case 'Z':
      case 'T':
        return this.answer(this.scale.zeroOrTare(name));
      case 'TA':
        return this.answer(this.scale.presetTare(args));
      case 'I2':
        return this.answer(`I2 A "${state.model}"`);
      case 'I4':
      case '@':
        return this.answer(`I4 A "${state.serialNumber}"`);
      default:
        return this.answer(/^[A-Z@][A-Z0-9]*$/.test(name) || name === '' ? 'ES' : 'ET');
    }
  }
}

/** The scale itself, apart from any link: its state and what it answers. */
export class ScaleModel {
  state: ScaleState;
  garbled = false;
  silent = false;
  /** Busy (an adjustment running, say): `S`, `SI` and `SIR` are answered `S I`, and nothing is weighed. */
  busy = false;
  /** The answer to the next command, whatever it is (`ES`, `ET`, `EL` …), once. */
  nextAnswer: string | null = null;
  /** How long `S` waits for the scale to become stable before it answers `S I`. */
  stabilityWaitMs = 3000;
  readonly sessions = new Set<ScaleSession>();

  constructor(state: Partial<ScaleState> = {}) {
    this.state = {
      load: 100,
      unit: 'g',
      decimals: 2,
      stable: true,
      range: 'ok',
      zero: 0,
      tare: 0,
      serialNumber: 'B123456789',
      model: 'WXS205SDU WXS-Bridge',
      ...state,
    };
  }

  /** Changes the scale's state; a waiting `S` is answered once the scale is stable. */
  set(change: Partial<ScaleState>): void {
    this.state = { ...this.state, ...change };
    if (this.state.stable) for (const session of this.sessions) session.stabilised();
  }

  /** The net weight shown: the load less zero and tare. */
  net(): number {
    return this.state.load - this.state.zero - this.state.tare;
  }

  private format(value: number): string {
    return `${value.toFixed(this.state.decimals).padStart(10)} ${this.state.unit}`;
  }

  /** The answer to `S`, `SI` or `SIR` now. */
  weightLine(): string {
    const { range, stable } = this.state;
    if (range !== 'ok') return range === 'overload' ? 'S +' : 'S -';
    return `S ${stable ? 'S' : 'D'} ${this.format(this.net())}`;
  }

  /** Zeroes (`Z`: the load becomes zero, the tare is cleared) or tares (`T`) the scale. */
  zeroOrTare(command: 'Z' | 'T'): string {
    const { range, stable, load } = this.state;
    if (range !== 'ok') return `${command} ${range === 'overload' ? '+' : '-'}`;
    if (!stable) return `${command} I`;
    if (command === 'Z') {
      this.state = { ...this.state, zero: load, tare: 0 };
      return 'Z A';
    }
    this.state = { ...this.state, tare: load - this.state.zero };
    return `T S ${this.format(this.state.tare)}`;
  }

  /** `TA` gives the tare; `TA value unit` presets it (in the scale's unit only). */
  presetTare(args: string[]): string {
    if (args.length === 0) return `TA A ${this.format(this.state.tare)}`;
    const [value, unit] = args;
    const tare = Number(value);
    if (args.length !== 2 || value === undefined || !Number.isFinite(tare)) return 'ES';
    if (unit !== this.state.unit || tare < 0) return 'TA L';
    this.state = { ...this.state, tare };
    return `TA A ${this.format(tare)}`;
  }
}

/** What a simulator starts with; `silent` makes a scale that never answers. */
export interface SimulatorOptions extends Partial<ScaleState> {
  host?: string;
  /** 0 (the default) for a free port. */
  port?: number;
  silent?: boolean;
  /** How long `S` waits for stability before it answers `S I` (3000 ms unless given). */
  stabilityWaitMs?: number;
  /** Where `runSimulator` says what it serves (the console unless given). */
  log?: (line: string) => void;
}

/** A simulated MT-SICS scale served over TCP. */
export class MtsicsSimulator {
  readonly scale: ScaleModel;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private port: number;
  private readonly host: string;

  constructor(options: SimulatorOptions = {}) {
    const { host, port, silent, stabilityWaitMs, log, ...state } = options;
    void log;
    this.scale = new ScaleModel(state);
    this.scale.silent = silent ?? false;
    this.scale.stabilityWaitMs = stabilityWaitMs ?? this.scale.stabilityWaitMs;
    this.host = host ?? '127.0.0.1';
    this.port = port ?? 0;
  }

  /** Listens (again, on the same port after a stop) and gives the port. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    const server = net.createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Stops at once: the server and every connection, as a scale switched off. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers garbage from now on (`false`: MT-SICS again). */
  garble(on: boolean): void {
    this.scale.garbled = on;
  }

  /** Answers every weighing command `S I` from now on, as a busy scale does (`false`: weighs again). */
  busy(on: boolean): void {
    this.scale.busy = on;
  }

  /** Changes what is on the pan and how the scale reports it. */
  set(change: Partial<ScaleState>): void {
    this.scale.set(change);
  }

  /** Answers the next command with `line` (an error code such as `ET`), once. */
  answerNext(line: string): void {
    this.scale.nextAnswer = line;
  }

  /** The number of clients connected now. */
  get connections(): number {
    return this.sockets.size;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    const session = new ScaleSession(this.scale, (text) => {
      if (!socket.destroyed) socket.write(text, 'latin1');
    });
    this.scale.sessions.add(session);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => session.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      session.end();
      this.scale.sessions.delete(session);
      this.sockets.delete(socket);
    });
  }
}

/**
 * Serves a simulated scale until the process ends (`attest simulate scale`); says where, and
 * what it answers, on `options.log`.
 */
export async function runSimulator(options: SimulatorOptions = {}): Promise<MtsicsSimulator> {
  const log = options.log ?? ((line: string) => console.log(line));
  const simulator = new MtsicsSimulator(options);
  const port = await simulator.start();
  const { serialNumber, model, unit } = simulator.scale.state;
  log(`MT-SICS scale ${model} (serial number ${serialNumber}) on ${options.host ?? '127.0.0.1'}:${port}`);
  log(`it answers S, SI, SIR, Z, T, TA, @, I2 and I4; now: ${simulator.scale.weightLine()} (${unit})`);
  log(`settings: {"transport":"tcp","host":"${options.host ?? '127.0.0.1'}","port":${port}}`);
  return simulator;
}
