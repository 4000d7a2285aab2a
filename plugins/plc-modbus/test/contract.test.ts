import { connectorContract } from '@attest/plugin-testing';
import { connector, type Settings } from '../src/index.ts';
import { ModbusSimulator, SIMULATED_CHANNELS } from '../src/simulator.ts';

const timeoutMs = 500;
const device = new ModbusSimulator();
const hung = new ModbusSimulator({ silent: true });

function settings(port: number): Settings {
  return {
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    unitId: 1,
    timeoutMs,
    pollMs: 100,
    channels: { ...SIMULATED_CHANNELS },
  };
}

connectorContract<Settings>('plc-modbus (Modbus TCP)', () => ({
  connector,
  start: async () => settings(await device.start()),
  stop: async () => {
    await device.stop();
    await hung.stop();
  },
  silent: async () => settings(await hung.start()),
  garble: (on) => device.garble(on),
  refuse: (on) => device.exceptionAt('input', SIMULATED_CHANNELS.weight!.address, on ? 6 : null),
  channel: 'weight',
  unknownChannel: 'no-such-channel',
  timeoutMs,
}));
