import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { PLUGIN_API_VERSION, type PluginManifest } from '@attest/plugin-api';

/** Where plugins are looked for: the workspace's `plugins/` folder, or a folder a plant configures. */
export interface PluginRoot {
  dir: string;
  source: 'workspace' | 'folder';
}

/** A package found with an `"attest"` field: its manifest when valid, else why it is refused. */
export interface DiscoveredPlugin {
  name: string;
  version: string;
  /** SHA-256 over the package's files (paths and contents), `node_modules` left out. */
  sha256: string;
  manifest: PluginManifest | null;
  problems: string[];
  source: PluginRoot['source'];
  path: string;
}

const MANIFEST_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'entry'],
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'integer', minimum: 1 },
    kind: { enum: ['device', 'handler'] },
    entry: { type: 'string', pattern: '^\\./[^\\0]+$' },
    settings: { type: 'object' },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validManifest = ajv.compile(MANIFEST_SCHEMA);

/** Every plugin in the roots, by package name; a name found twice keeps the first root's. */
export async function discoverPlugins(roots: PluginRoot[]): Promise<DiscoveredPlugin[]> {
  const found = new Map<string, DiscoveredPlugin>();
  for (const root of roots) {
    let entries;
    try {
      entries = await readdir(root.dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!e.isDirectory()) continue;
      const plugin = await inspect(join(root.dir, e.name), root.source);
      if (plugin && !found.has(plugin.name)) found.set(plugin.name, plugin);
    }
  }
  return [...found.values()];
}

/** A package folder as a plugin, or null when it is no plugin (no package.json, no `"attest"`). */
async function inspect(path: string, source: PluginRoot['source']): Promise<DiscoveredPlugin | null> {
  let pkg: { name?: unknown; version?: unknown; attest?: unknown };
  try {
    pkg = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return null;
  }
  if (pkg.attest === undefined || typeof pkg.name !== 'string') return null;
  const problems: string[] = [];
  if (typeof pkg.version !== 'string') problems.push('package.json has no version');
  let manifest: PluginManifest | null = null;
  if (!validManifest(pkg.attest)) {
    for (const e of validManifest.errors ?? [])
      problems.push(`attest${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
  } else {
    const m = pkg.attest as PluginManifest;
    if (m.apiVersion !== PLUGIN_API_VERSION)
      problems.push(`it is built for plugin API ${m.apiVersion}; this Attest speaks ${PLUGIN_API_VERSION}`);
    if (m.settings !== undefined) {
      try {
        ajv.compile(m.settings);
      } catch (error) {
        problems.push(`attest.settings is not a valid JSON Schema: ${(error as Error).message}`);
      }
    }
    if (problems.length === 0) manifest = m;
  }
  return {
    name: pkg.name,
    version: typeof pkg.version === 'string' ? pkg.version : '',
    sha256: await packageHash(path),
    manifest,
    problems,
    source,
    path,
  };
}

/** The SHA-256 of a package: each file's path (with `/`) and contents, in path order. */
export async function packageHash(dir: string): Promise<string> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const path = join(d, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) files.push(path);
    }
  };
  await walk(dir);
  const hash = createHash('sha256');
  for (const file of files.map((f) => relative(dir, f).split(sep).join('/')).sort()) {
    const content = await readFile(join(dir, file));
    hash.update(`${file}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}
