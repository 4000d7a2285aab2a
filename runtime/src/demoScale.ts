import { DEMO_USERS, type Engine, type PluginRoot } from '@attest/engine';
import type { Logger } from 'pino';
import { simulate } from './simulate.ts';

const PLUGIN = '@attest/scale-mtsics';
const CODE = 'DEMO-BAL-01';

/**
 * The demo's scale (`npm start`): the MT-SICS simulator on the loopback with 80.02 kg on its pan, the
 * scale plugin enabled by the demo administrator's signature, and device DEMO-BAL-01 registered
 * (or its settings changed to where the simulator listens now), so that a newcomer can take a
 * weight into the batch record's dispensing step. Every act is audited as any other is.
 */
export async function startDemoScale(engine: Engine, roots: PluginRoot[], logger: Logger) {
  const quiet = () => undefined;
  const { simulator, device } = await simulate('scale', undefined, quiet, {
    load: { load: 80.02, unit: 'kg', decimals: 3, serialNumber: 'DEMO0001', model: 'Simulated floor scale' },
  });
  try {
    const admin = DEMO_USERS.find((u) => u.roles.includes('admin' as never))!;
    const { sessionId } = await engine.identity.login({ username: admin.username, password: admin.password });
    const adrian = await engine.identity.authenticate(sessionId);
    const found = await engine.plugins.sync(roots);
    if (found.find((p) => p.name === PLUGIN)?.state !== 'enabled')
      await engine.plugins.enable(adrian, PLUGIN, {
        password: admin.password,
        reason: 'Demo: the simulated scale of npm start',
      });
    const registered = (await engine.devices.list(adrian)).find((d) => d.code === CODE);
    const facts = {
      ...device,
      code: CODE,
      name: 'Demo floor scale (simulated MT-SICS)',
      room: 'Dispensing',
      calibrationDue: null,
    };
    if (!registered) await engine.devices.register(adrian, facts);
    else if (JSON.stringify(registered.settings) !== JSON.stringify(device.settings))
      await engine.devices.change(adrian, registered.id, {
        ...facts,
        status: registered.status,
        version: registered.version,
        reason: 'Demo: the simulator listens on a new port since this start',
      });
    await engine.identity.logout(adrian);
    const { port } = device.settings as { port: number };
    logger.info({ device: CODE, port }, 'demo scale simulated');
    return { code: CODE, port, stop: () => simulator.stop() };
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}
