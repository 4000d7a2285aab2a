import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Packages import each other by name, never by a relative path out of their own folder; and the
 * engine's folders depend on each other one way. This check reads every import of
 * engine/src (type-only imports included: a type names a dependency as much as a value does) and
 * fails on a cycle between two folders. Cycles that exist today are listed in KNOWN, to be taken
 * apart one by one; the check also fails when a listed one is gone, so the list stays true.
 */
const KNOWN: readonly string[] = [
  'bpmn ↔ signatures',
  'signatures ↔ steps',
  'identity ↔ signatures',
  'records ↔ signatures',
];

const SRC = fileURLToPath(new URL('../engine/src/', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'(\.{1,2}\/[^']+)'/gm;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** The folder of engine/src a file is in; files at the top are the composition (engine, index). */
const folderOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0]! : '.';
};

const edges = new Map<string, Map<string, string>>();
for (const file of files(SRC)) {
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const from = folderOf(file);
    const to = folderOf(resolve(dirname(file), spec!));
    if (from === to || from === '.' || to === '.') continue;
    const out = edges.get(from) ?? new Map<string, string>();
    if (!out.has(to)) out.set(to, `${relative(SRC, file)} → ${spec}`);
    edges.set(from, out);
  }
}

const cycles: string[] = [];
const why: string[] = [];
for (const [a, out] of edges) {
  for (const [b, first] of out) {
    const back = edges.get(b)?.get(a);
    if (back && a < b) {
      cycles.push(`${a} ↔ ${b}`);
      why.push(`${a} ↔ ${b}: ${first}; ${back}`);
    }
  }
}
/** Every package's sources import other packages by name: no relative path leaves the package. */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PACKAGES = [
  'engine',
  'runtime',
  'designer',
  'task-form',
  'templates',
  'bench',
  ...readdirSync(join(ROOT, 'plugins')).map((p) => `plugins/${p}`),
];
const leaving: string[] = [];
for (const pkg of PACKAGES) {
  const root = join(ROOT, pkg);
  for (const dir of ['src', 'web/src'].map((d) => join(root, d))) {
    let sources: string[];
    try {
      sources = files(dir);
    } catch {
      continue;
    }
    for (const file of sources) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const target = resolve(dirname(file), spec!);
        if (relative(root, target).startsWith('..')) leaving.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
  }
}

const added = why.filter((_, i) => !KNOWN.includes(cycles[i]!));
const gone = KNOWN.filter((c) => !cycles.includes(c));
if (added.length > 0 || gone.length > 0 || leaving.length > 0) {
  for (const line of leaving)
    console.error(`a relative import leaves its package (import it by name): ${line}`);
  for (const line of added) console.error(`engine folders import each other: ${line}`);
  for (const line of gone)
    console.error(`${line} is no longer a cycle: take it off KNOWN in scripts/boundaries.ts`);
  process.exit(1);
}
console.log(
  `packages import each other by name; engine folders: no new import cycle (${KNOWN.length} known)`,
);
