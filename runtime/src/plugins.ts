import { join } from 'node:path';
import type { Engine, PluginRoot } from '@attest/engine';
import type { DeviceConnector, ServiceHandler } from '@attest/plugin-api';
import type { Logger } from 'pino';
import { importPluginModule } from './pluginModule.ts';

/** What the enabled plugins brought: the device connectors by plugin name (handlers are registered). */
export interface LoadedPlugins {
  connectors: Map<string, DeviceConnector>;
}

/**
 * Finds the plugins in the workspace and the plant's folder, then loads those an administrator
 * enabled as they are now (G2): a handler plugin's `handlers` are registered by their `attest:type`,
 * a device plugin's `connector` is kept for its devices. A plugin changed since it was enabled is
 * refused by the registry; one that fails to import is skipped. Each outcome is audited (C4).
 */
export async function loadPlugins(
  engine: Engine,
  roots: PluginRoot[],
  logger: Logger,
): Promise<LoadedPlugins> {
  await engine.plugins.sync(roots);
  const connectors = new Map<string, DeviceConnector>();
  for (const plugin of await engine.plugins.loadable()) {
    try {
      const module = (await importPluginModule(join(plugin.path, plugin.entry))) as {
        handlers?: Record<string, ServiceHandler>;
        connector?: DeviceConnector;
      };
      if (plugin.kind === 'handler') {
        const handlers = Object.entries(module.handlers ?? {});
        if (handlers.length === 0) throw new Error('its entry exports no handlers');
        for (const [type, handler] of handlers) engine.processes.handlers.register(type, handler);
      } else {
        if (typeof module.connector?.open !== 'function') throw new Error('its entry exports no connector');
        connectors.set(plugin.name, module.connector);
      }
      await engine.plugins.loaded(plugin.name);
      logger.info({ plugin: plugin.name, version: plugin.version }, 'plugin loaded');
    } catch (error) {
      await engine.plugins.loaded(plugin.name, (error as Error).message);
      logger.error({ plugin: plugin.name, err: error }, 'plugin not loaded');
    }
  }
  return { connectors };
}
