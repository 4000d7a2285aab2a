import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorHarness } from '@attest/plugin-testing';
import { connector, type Settings } from '../src/index.ts';
import { OpcUaSimulator, SIMULATED_NODES, silentServer } from '../src/simulator.ts';

/** The client's PKI folder in tests: in the system's temporary directory, kept between runs. */
export const CLIENT_PKI = join(tmpdir(), 'attest-opcua-client-pki');

export const TIMEOUT_MS = 1500;

/** Settings that reach the simulator at `endpointUrl`, with a channel per simulated node. */
export function settingsFor(endpointUrl: string, extra: Partial<Settings> = {}): Settings {
  return {
    endpointUrl,
    timeoutMs: TIMEOUT_MS,
    pkiFolder: CLIENT_PKI,
    channels: {
      weight: { nodeId: SIMULATED_NODES.weight },
      stable: { nodeId: SIMULATED_NODES.stable },
      temperature: { nodeId: SIMULATED_NODES.temperature },
      setPoint: { nodeId: SIMULATED_NODES.setPoint, writable: true },
      setPointReadOnly: { nodeId: SIMULATED_NODES.setPoint },
      quality: { nodeId: SIMULATED_NODES.quality, unit: 'mbar' },
      missing: { nodeId: 'ns=1;s=Nowhere' },
    },
    ...extra,
  };
}

/** The simulator and the connector as the contract suite drives them. */
export function opcUaHarness(
  simulator: OpcUaSimulator,
): ConnectorHarness<Settings> & { dispose(): Promise<void> } {
  const silent: { stop: () => Promise<void> }[] = [];
  return {
    connector,
    async start() {
      return settingsFor(await simulator.start());
    },
    async stop() {
      await simulator.stop();
      await Promise.all(silent.splice(0).map((s) => s.stop()));
    },
    async silent() {
      const server = await silentServer();
      silent.push(server);
      return settingsFor(`opc.tcp://127.0.0.1:${server.port}`);
    },
    garble(on) {
      simulator.garble(on);
    },
    // Every value Bad (BadDeviceFailure): the server answers, with no value to use.
    refuse(on) {
      simulator.garble(on);
    },
    channel: 'temperature',
    unknownChannel: 'viscosity',
    timeoutMs: TIMEOUT_MS,
    async dispose() {
      await this.stop();
    },
  };
}
