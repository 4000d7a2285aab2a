import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { folderHash, readPackageDir } from '../../engine/src/templates/package.ts';

/**
 * The record of released template versions, `templates/released.json`: `"<id>@<version>"` → the
 * folder hash the version had when it was released. A released version is never edited; the lint
 * (templates/test/released.test.ts) compares every recorded hash with the folder as it is now.
 */

/** The templates folder of this repository. */
export const TEMPLATES_ROOT = fileURLToPath(new URL('..', import.meta.url));

const RELEASED = 'released.json';
/** Folders of the templates workspace that are not templates. */
const NOT_TEMPLATES = new Set(['schema', 'scripts', 'test', 'node_modules']);
const KEY = /^([a-z][a-z0-9-]{1,39})@((?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))$/;
const HASH = /^[0-9a-f]{64}$/;

export interface VersionFolder {
  id: string;
  /** The folder name without its `v`. */
  version: string;
  dir: string;
  /** As people see it: `templates/<id>/v<version>`. */
  name: string;
}

const folderName = (id: string, version: string) => `templates/${id}/v${version}`;

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Every version folder: `<root>/<id>/v*` for each template folder `<id>`. */
export async function versionFolders(root = TEMPLATES_ROOT): Promise<VersionFolder[]> {
  const folders: VersionFolder[] = [];
  for (const id of (await subfolders(root)).filter((name) => !NOT_TEMPLATES.has(name))) {
    for (const folder of (await subfolders(join(root, id))).filter((name) => name.startsWith('v'))) {
      const version = folder.slice(1);
      folders.push({ id, version, dir: join(root, id, folder), name: folderName(id, version) });
    }
  }
  return folders;
}

/** released.json, checked: every key `<id>@<version>`, every value a SHA-256 hex digest. */
export async function readReleased(root = TEMPLATES_ROOT): Promise<Record<string, string>> {
  const released: unknown = JSON.parse(await readFile(join(root, RELEASED), 'utf8'));
  if (released === null || typeof released !== 'object' || Array.isArray(released)) {
    throw new Error(`templates/${RELEASED} must be an object of "<id>@<version>": "<folder hash>"`);
  }
  for (const [key, hash] of Object.entries(released)) {
    if (!KEY.test(key) || typeof hash !== 'string' || !HASH.test(hash)) {
      throw new Error(
        `templates/${RELEASED}: "${key}": ${JSON.stringify(hash)} is not "<id>@<version>": "<sha-256 hex>"`,
      );
    }
  }
  return released as Record<string, string>;
}

/** Versions in id order, then by major, minor and patch as numbers (1.10.0 after 1.9.0). */
function byVersion(a: string, b: string): number {
  const [, idA, versionA] = KEY.exec(a)!;
  const [, idB, versionB] = KEY.exec(b)!;
  if (idA !== idB) return idA! < idB! ? -1 : 1;
  const numbers = (v: string) => v.split('.').map(Number);
  const [x, y] = [numbers(versionA!), numbers(versionB!)];
  return x.map((n, i) => n - y[i]!).find((d) => d !== 0) ?? 0;
}

async function writeReleased(root: string, released: Record<string, string>): Promise<void> {
  const sorted = Object.fromEntries(
    Object.keys(released)
      .sort(byVersion)
      .map((k) => [k, released[k]!]),
  );
  await writeFile(join(root, RELEASED), `${JSON.stringify(sorted, null, 2)}\n`);
}

async function isFolder(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** What is wrong with a released version now: its folder is gone or its content changed; null if nothing. */
export async function releaseProblem(
  key: string,
  hash: string,
  root = TEMPLATES_ROOT,
): Promise<string | null> {
  const [, id, version] = KEY.exec(key)!;
  const name = folderName(id!, version!);
  const dir = join(root, id!, `v${version}`);
  if (!(await isFolder(dir))) {
    return `${name} was released with hash ${hash}, but the folder is missing. A released version is never removed: restore it.`;
  }
  const now = await folderHash(dir);
  if (now === hash) return null;
  return `${name} was released with hash ${hash}; its content changed to ${now}. A released version is never edited: copy it to a new version folder.`;
}

/**
 * Records a version folder as released: checks it is a valid package of that id and version, then
 * writes its folder hash to released.json. Recording the same content again changes nothing;
 * recording different content under a released version is refused.
 */
export async function recordRelease(
  id: string,
  version: string,
  root = TEMPLATES_ROOT,
): Promise<{ key: string; hash: string; recorded: boolean }> {
  const key = `${id}@${version}`;
  if (!KEY.test(key)) throw new Error(`${key} is not "<id>@<major>.<minor>.<patch>"`);
  const name = folderName(id, version);
  const dir = join(root, id, `v${version}`);
  if (!(await isFolder(dir))) throw new Error(`There is no version folder ${name}`);
  const { pkg } = await readPackageDir(dir);
  if (pkg.manifest.id !== id)
    throw new Error(`${name}/manifest.json has the id ${pkg.manifest.id}, not ${id}`);
  const hash = await folderHash(dir);
  const released = await readReleased(root);
  const recorded = released[key];
  if (recorded === hash) return { key, hash, recorded: false };
  if (recorded !== undefined) {
    throw new Error(
      `${name} was released with hash ${recorded}; its content changed to ${hash}. A released version is never edited: copy it to a new version folder.`,
    );
  }
  await writeReleased(root, { ...released, [key]: hash });
  return { key, hash, recorded: true };
}
