import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType,
  OPCUACertificateManager,
  OPCUAServer,
  StatusCode,
  StatusCodes,
  Variant,
  nodesets,
  standardUnits,
  type UAVariable,
} from 'node-opcua';

/** The status the simulator gives its `Quality` item on demand. */
export type SimulatedQuality = 'good' | 'uncertain' | 'bad';

/** Where the simulator's variables are: namespace 1, string node ids. */
export const SIMULATED_NODES = {
  weight: 'ns=1;s=Scale.Weight',
  stable: 'ns=1;s=Scale.Stable',
  temperature: 'ns=1;s=Reactor.Temperature',
  setPoint: 'ns=1;s=Reactor.SetPoint',
  quality: 'ns=1;s=Reactor.Quality',
} as const;

/** The node id of variable `index` (0-based) of the simulator's bank: `ns=1;s=Bank.V0000` and on. */
export function bankNodeId(index: number): string {
  return `ns=1;s=Bank.V${String(index).padStart(4, '0')}`;
}

/** The application URI the simulator gives as its identity. */
export const SIMULATOR_APPLICATION_URI = 'urn:attest:simulator:opcua';

export interface OpcUaSimulatorOptions {
  /** The TCP port; 0 (the default) takes a free one. */
  port?: number;
  /** How often the reactor's temperature moves, in milliseconds (default 200). */
  tickMs?: number;
  /**
   * Where the server keeps its certificate (default: `attest-opcua-simulator-pki` in the system's
   * temporary directory, kept between runs so the key pair is made once).
   */
  pkiFolder?: string;
  /**
   * A bank of `size` UInt32 variables (`bankNodeId(0)` …) that all change together every
   * `intervalMs` (default 100), each to the number of the change: a load of many changing items
   * for subscriptions, whose every change a client can count. None unless given.
   */
  bank?: { size: number; intervalMs?: number };
}

/**
 * An OPC UA server on the loopback with a weighing and a temperature model: `Scale` (Weight in kg,
 * Stable) and `Reactor` (Temperature in °C that moves toward its SetPoint, a writable SetPoint, and
 * a `Quality` item whose status is Good, Uncertain or Bad on demand). Garbled mode gives every value a
 * Bad status: an OPC UA client decodes the binary protocol itself and cannot be handed garbage bytes.
 * Its PKI folder is in the system's temporary directory, never in the repository.
 */
export class OpcUaSimulator {
  private server: OPCUAServer | null = null;
  private readonly pkiFolder: string;
  private readonly variables = new Map<keyof typeof SIMULATED_NODES, UAVariable>();
  private timer: NodeJS.Timeout | null = null;
  private port: number;
  private readonly tickMs: number;
  private garbled = false;
  private weight = 0;
  private stable = true;
  private temperature = 20;
  private setPoint = 20;
  private quality: SimulatedQuality = 'good';
  private readonly bank: { size: number; intervalMs: number };
  private readonly bankVariables: UAVariable[] = [];
  private bankTimer: NodeJS.Timeout | null = null;
  private bankChange = 0;

  constructor(options: OpcUaSimulatorOptions = {}) {
    this.port = options.port ?? 0;
    this.tickMs = options.tickMs ?? 200;
    const size = options.bank?.size ?? 0;
    const intervalMs = options.bank?.intervalMs ?? 100;
    if (!Number.isInteger(size) || size < 0)
      throw new Error(`bank.size must be a whole number ≥ 0, not ${size}`);
    if (!(intervalMs > 0)) throw new Error(`bank.intervalMs must be above 0, not ${intervalMs}`);
    this.bank = { size, intervalMs };
    this.pkiFolder = options.pkiFolder ?? join(tmpdir(), 'attest-opcua-simulator-pki');
  }

  /** Starts the server (again, on the same port after a stop) and gives its endpoint URL. */
  async start(): Promise<string> {
    if (this.server) return this.endpointUrl;
    if (this.port === 0) this.port = await freePort();
    const server = new OPCUAServer({
      port: this.port,
      hostname: '127.0.0.1',
      nodeset_filename: [nodesets.standard],
      serverCertificateManager: new OPCUACertificateManager({
        rootFolder: this.pkiFolder,
        automaticallyAcceptUnknownCertificate: true,
      }),
      serverInfo: { applicationUri: SIMULATOR_APPLICATION_URI, productUri: 'urn:attest:simulator' },
      buildInfo: { productName: 'Attest OPC UA simulator', manufacturerName: 'Attest' },
      allowAnonymous: true,
    });
    await server.initialize();
    this.buildAddressSpace(server);
    await server.start();
    this.server = server;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    if (this.bank.size > 0) this.bankTimer = setInterval(() => this.changeBank(), this.bank.intervalMs);
    return this.endpointUrl;
  }

  /**
   * How many times the bank has changed: each change sets every bank variable to this number, so
   * `size × (after − before)` values were sent between two looks.
   */
  get bankChanges(): number {
    return this.bankChange;
  }

  /** Stops the server at once, its connections and all (a device switched off). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.bankTimer) clearInterval(this.bankTimer);
    this.timer = null;
    this.bankTimer = null;
    const server = this.server;
    this.server = null;
    this.variables.clear();
    this.bankVariables.length = 0;
    if (server) await server.shutdown(0);
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  /** From now on every value has the status BadDeviceFailure (`false`: good again). */
  garble(on: boolean): void {
    this.garbled = on;
    this.publish();
  }

  /** Puts a weight on the scale, stable or not. */
  setWeight(kg: number, stable = true): void {
    this.weight = kg;
    this.stable = stable;
    this.publish();
  }

  /** The temperature the reactor moves toward, as a client writing SetPoint would set it. */
  setSetPoint(celsius: number): void {
    this.setPoint = celsius;
    this.publish();
  }

  /** The reactor's temperature now, as it moves toward the set point. */
  get temperatureNow(): number {
    return this.temperature;
  }

  /** Sets the reactor's temperature; it moves on from there. */
  setTemperature(celsius: number): void {
    this.temperature = celsius;
    this.publish();
  }

  /** The status of the `Quality` item: Good, UncertainLastUsableValue or BadSensorFailure. */
  setQuality(quality: SimulatedQuality): void {
    this.quality = quality;
    this.publish();
  }

  private buildAddressSpace(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace!;
    const namespace = addressSpace.getOwnNamespace();
    const objects = addressSpace.rootFolder.objects;
    const scale = namespace.addObject({ organizedBy: objects, browseName: 'Scale', nodeId: 's=Scale' });
    const reactor = namespace.addObject({ organizedBy: objects, browseName: 'Reactor', nodeId: 's=Reactor' });
    this.variables.set(
      'weight',
      namespace.addAnalogDataItem({
        componentOf: scale,
        browseName: 'Weight',
        nodeId: 's=Scale.Weight',
        dataType: 'Double',
        engineeringUnits: standardUnits.kilogram,
        engineeringUnitsRange: { low: 0, high: 600 },
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 50,
      }),
    );
    this.variables.set(
      'stable',
      namespace.addVariable({
        componentOf: scale,
        browseName: 'Stable',
        nodeId: 's=Scale.Stable',
        dataType: 'Boolean',
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 50,
      }),
    );
    this.variables.set(
      'temperature',
      namespace.addAnalogDataItem({
        componentOf: reactor,
        browseName: 'Temperature',
        nodeId: 's=Reactor.Temperature',
        dataType: 'Double',
        engineeringUnits: standardUnits.degree_celsius,
        engineeringUnitsRange: { low: -50, high: 250 },
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 50,
      }),
    );
    const setPoint = namespace.addAnalogDataItem({
      componentOf: reactor,
      browseName: 'SetPoint',
      nodeId: 's=Reactor.SetPoint',
      dataType: 'Double',
      engineeringUnits: standardUnits.degree_celsius,
      engineeringUnitsRange: { low: -50, high: 250 },
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 50,
    });
    setPoint.on('value_changed', (dataValue) => {
      const value: unknown = dataValue.value.value;
      if (typeof value === 'number' && value !== this.setPoint) this.setPoint = value;
    });
    this.variables.set('setPoint', setPoint);
    this.variables.set(
      'quality',
      namespace.addVariable({
        componentOf: reactor,
        browseName: 'Quality',
        nodeId: 's=Reactor.Quality',
        dataType: 'Double',
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 50,
      }),
    );
    const bank =
      this.bank.size > 0
        ? namespace.addObject({ organizedBy: objects, browseName: 'Bank', nodeId: 's=Bank' })
        : null;
    for (let i = 0; bank && i < this.bank.size; i++) {
      const variable = namespace.addVariable({
        componentOf: bank,
        browseName: `V${String(i).padStart(4, '0')}`,
        nodeId: bankNodeId(i).slice('ns=1;'.length),
        dataType: 'UInt32',
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        // Exception-based: a subscriber is told of each change as it is made, not when sampled.
        minimumSamplingInterval: 0,
      });
      variable.setValueFromSource(new Variant({ dataType: DataType.UInt32, value: this.bankChange }));
      this.bankVariables.push(variable);
    }
    this.publish();
  }

  /** Every bank variable takes the number of this change. */
  private changeBank(): void {
    this.bankChange += 1;
    const variant = new Variant({ dataType: DataType.UInt32, value: this.bankChange });
    const now = new Date();
    for (const variable of this.bankVariables) variable.setValueFromSource(variant, StatusCodes.Good, now);
  }

  /** The temperature moves a tenth of the way toward the set point, with a little noise. */
  private tick(): void {
    const noise = (Math.random() - 0.5) * 0.2;
    this.temperature =
      Math.round((this.temperature + (this.setPoint - this.temperature) * 0.1 + noise) * 100) / 100;
    this.publish();
  }

  private publish(): void {
    const bad = this.garbled ? StatusCodes.BadDeviceFailure : StatusCodes.Good;
    const set = (key: keyof typeof SIMULATED_NODES, variant: Variant, status: StatusCode = bad): void => {
      this.variables.get(key)?.setValueFromSource(variant, status, new Date());
    };
    set('weight', new Variant({ dataType: DataType.Double, value: this.weight }));
    set('stable', new Variant({ dataType: DataType.Boolean, value: this.stable }));
    set('temperature', new Variant({ dataType: DataType.Double, value: this.temperature }));
    const setPoint = this.variables.get('setPoint');
    if (setPoint && setPoint.readValue().value.value !== this.setPoint) {
      set('setPoint', new Variant({ dataType: DataType.Double, value: this.setPoint }));
    }
    const quality =
      this.quality === 'bad'
        ? StatusCodes.BadSensorFailure
        : this.quality === 'uncertain'
          ? StatusCodes.UncertainLastUsableValue
          : bad;
    set('quality', new Variant({ dataType: DataType.Double, value: 1 }), quality);
  }
}

/**
 * A TCP server that accepts connections and never answers: an OPC UA server that hangs.
 * Returns its port and a `stop` that destroys its sockets.
 */
export async function silentServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free TCP port on the loopback');
  return address.port;
}

/**
 * Runs the simulator for a demo (`attest simulate opcua`): logs the endpoint and the nodes it
 * serves, and stops on SIGINT or SIGTERM.
 */
export async function runSimulator(
  options: OpcUaSimulatorOptions & { log?: (line: string) => void } = {},
): Promise<OpcUaSimulator> {
  const log = options.log ?? ((line: string) => console.log(line));
  const simulator = new OpcUaSimulator({ port: options.port ?? 4840, ...options });
  const endpointUrl = await simulator.start();
  log(`OPC UA simulator at ${endpointUrl} (security None, anonymous)`);
  for (const [name, nodeId] of Object.entries(SIMULATED_NODES)) log(`  ${name}: ${nodeId}`);
  const shutdown = (): void => {
    void simulator.stop().then(() => log('OPC UA simulator stopped'));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return simulator;
}
