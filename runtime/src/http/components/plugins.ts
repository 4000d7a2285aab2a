import type { PluginState } from '@attest/engine';
import type { Schema } from '../schema.ts';
import { closed, enumOf, id, instant, nullableString, sha256, string } from './shared.ts';

export const PLUGIN_STATES: Record<PluginState, string> = {
  invalid: 'its manifest is refused (see problems): it cannot be enabled',
  disabled: 'found, not enabled: not loaded',
  enabled: 'enabled as it is now, by a signed act: loaded at start',
  changed: 'its package changed since it was enabled: not loaded until an administrator enables it again',
};

/** Plugins as Attest found them and as an administrator enabled them (G2). */
export const PLUGIN_COMPONENTS = {
  Plugin: closed(
    {
      id: { ...id, description: 'The subject of its audit trail' },
      name: { ...string, description: 'npm package name' },
      version: string,
      sha256: { ...sha256, description: 'SHA-256 of its package contents, node_modules left out' },
      kind: { type: ['string', 'null'], enum: ['device', 'handler', null], description: 'null when refused' },
      apiVersion: { type: ['integer', 'null'], description: 'The plugin API it was built for' },
      entry: nullableString,
      settingsSchema: {
        type: ['object', 'null'],
        description: 'JSON Schema of the settings its devices or handlers take',
      },
      source: { type: 'string', enum: ['workspace', 'folder'] },
      path: { ...string, description: 'Folder of the package on the server' },
      problems: { type: 'array', items: string, description: 'Why its manifest is refused' },
      discoveredAt: { ...instant, description: 'When it was last found new or changed' },
      state: enumOf(PLUGIN_STATES, 'Whether it is loaded'),
      enabled: {
        oneOf: [
          { type: 'null' },
          closed(
            {
              version: string,
              sha256,
              by: {
                oneOf: [
                  { type: 'null' },
                  closed({ username: string, printedName: string }, 'The administrator who signed'),
                ],
              },
              at: instant,
              signatureId: { type: 'string', format: 'uuid' },
            },
            'The version and hash a signed act enabled',
          ),
        ],
      },
    },
    'A plugin found in the workspace or the plant’s plugin folder',
  ),
} as const satisfies Record<string, Schema>;
