import { pino } from 'pino';
import { MtsicsSimulator, type SimulatorOptions } from '@attest/scale-mtsics/simulator';
import { demoPassword, loginAs, startTestEngine } from '../../../../engine/test/support/testEngine.ts';
import { createDeviceHub } from '../../../src/devices/hub.ts';
import { WORKSPACE_PLUGINS } from '../../../src/paths.ts';
import { loadPlugins } from '../../../src/plugins.ts';

/**
 * An MT-SICS scale simulated on the loopback, and an engine whose administrator enabled the
 * workspace's `@attest/scale-mtsics` plugin with a signature, loaded as `attest start` loads it,
 * with the server's connections to devices: what a test serves to read a real protocol.
 */
export async function startScaleEngine(options: SimulatorOptions = {}) {
  const silent = pino({ level: 'silent' });
  const scale = new MtsicsSimulator({
    load: 12503.4,
    unit: 'g',
    decimals: 1,
    stable: true,
    stabilityWaitMs: 50,
    ...options,
  });
  const port = await scale.start();
  const ctx = await startTestEngine();
  const roots = [{ dir: WORKSPACE_PLUGINS, source: 'workspace' as const }];
  await ctx.engine.plugins.sync(roots);
  await ctx.engine.plugins.enable(await loginAs(ctx.engine, 'adrian'), '@attest/scale-mtsics', {
    password: demoPassword('adrian'),
    reason: 'MT-SICS interface validated, VAL-0101',
  });
  const { connectors } = await loadPlugins(ctx.engine, roots, silent);
  const hub = createDeviceHub(ctx.engine, connectors, silent);
  /** The body that registers the simulated scale as BAL-0101. */
  const device = {
    code: 'BAL-0101',
    name: 'Floor scale, granulation',
    kind: 'scale',
    plugin: '@attest/scale-mtsics',
    settings: { transport: 'tcp', host: '127.0.0.1', port, timeoutMs: 500, stableTimeoutMs: 1000 },
    room: 'Granulation 1',
    line: null,
    calibrationDue: '2099-12-31',
    status: 'in_service',
    reason: 'Installed, IQ/OQ-0101',
  };
  return {
    ctx,
    hub,
    scale,
    device,
    async close() {
      await hub.close();
      await ctx.close();
      await scale.stop();
    },
  };
}
