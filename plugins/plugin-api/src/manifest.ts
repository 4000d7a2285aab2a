/** The version of this contract; a plugin names the one it was built for in its manifest. */
export const PLUGIN_API_VERSION = 1;

/** The `"attest"` field of a plugin's `package.json`. */
export interface PluginManifest {
  apiVersion: number;
  kind: 'device' | 'handler';
  /** The module, relative to the package, that exports the connector or the handlers. */
  entry: string;
  /** A JSON Schema of the settings a device or handler of this plugin takes. */
  settings?: Record<string, unknown>;
}
