import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKSPACE_PLUGINS } from './paths.ts';
import { importPluginModule } from './pluginModule.ts';

type Log = (line: string) => void;

/** A simulator as `runSimulator` of a connector's `./simulator` module returns it. */
interface Running {
  stop(): Promise<void>;
}

interface Simulator {
  /** The workspace folder of the device plugin, under plugins/. */
  folder: string;
  kind: 'scale' | 'plc';
  name: string;
  /** Runs the plugin's simulator on the loopback; gives it and the settings of a device that reaches it. */
  run(module: never, port: number | undefined, log: Log): Promise<{ simulator: Running; settings: object }>;
}

const HOST = '127.0.0.1';

/** What `attest simulate` serves: each connector's own simulator, by the name the command takes. */
const SIMULATORS = {
  scale: {
    folder: 'scale-mtsics',
    kind: 'scale',
    name: 'Simulated MT-SICS scale',
    run: async (
      module: { runSimulator(o: object): Promise<Running & { start(): Promise<number> }> },
      port,
      log,
    ) => {
      const simulator = await module.runSimulator({ port: port ?? 0, log });
      // `start` on a listening simulator gives the port it listens on.
      return { simulator, settings: { transport: 'tcp', host: HOST, port: await simulator.start() } };
    },
  },
  modbus: {
    folder: 'plc-modbus',
    kind: 'plc',
    name: 'Simulated Modbus TCP PLC',
    run: async (
      module: {
        runSimulator(o: object): Promise<Running & { port: number }>;
        SIMULATED_CHANNELS: object;
      },
      port,
      log,
    ) => {
      const simulator = await module.runSimulator({ port: port ?? 0, log });
      const settings = {
        transport: 'tcp',
        host: HOST,
        port: simulator.port,
        unitId: 1,
        channels: module.SIMULATED_CHANNELS,
      };
      return { simulator, settings };
    },
  },
  opcua: {
    folder: 'plc-opcua',
    kind: 'plc',
    name: 'Simulated OPC UA PLC',
    run: async (
      module: {
        runSimulator(o: object): Promise<Running & { endpointUrl: string }>;
        SIMULATED_NODES: Record<string, string>;
      },
      port,
      log,
    ) => {
      const simulator = await module.runSimulator({ ...(port !== undefined && { port }), log });
      const channels = Object.fromEntries(
        Object.entries(module.SIMULATED_NODES).map(([name, nodeId]) => [
          name,
          name === 'setPoint' ? { nodeId, writable: true } : { nodeId },
        ]),
      );
      return { simulator, settings: { endpointUrl: simulator.endpointUrl, channels } };
    },
  },
} satisfies Record<string, Simulator>;

export type SimulatorName = keyof typeof SIMULATORS;
export const SIMULATOR_NAMES = Object.keys(SIMULATORS) as SimulatorName[];

/**
 * Starts the simulator of a workspace device plugin on the loopback and says how to register a
 * device that reads it. The simulator module is imported only now, so that the command does not load
 * a protocol stack (node-opcua) at every start.
 */
export async function simulate(which: SimulatorName, port: number | undefined, log: Log): Promise<Running> {
  const spec: Simulator = SIMULATORS[which];
  const folder = join(WORKSPACE_PLUGINS, spec.folder);
  const pkg = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string>;
  };
  const module = await importPluginModule(join(folder, pkg.exports['./simulator']!));
  const { simulator, settings } = await spec.run(module as never, port, log);
  const device = {
    code: `SIM-${which.toUpperCase()}`,
    name: spec.name,
    kind: spec.kind,
    plugin: pkg.name,
    settings,
    room: 'Simulation',
    line: null,
    calibrationDue: null,
    status: 'in_service',
    reason: `The ${which} simulator of attest simulate, for trying out device readings`,
  };
  log('');
  log(
    `Register it as an administrator with POST /api/devices and this body; the plugin must be enabled ` +
      `(POST /api/plugins/${encodeURIComponent(pkg.name)}/enable, loaded at the next start) for it to be read:`,
  );
  log(JSON.stringify(device, null, 2));
  log('Stop the simulator with Ctrl-C.');
  return simulator;
}
