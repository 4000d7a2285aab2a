import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Packages import each other by name, never by a relative path out of their own folder; and the
 * engine's folders depend on each other one way. This check reads every import of engine/src
 * (type-only imports included: a type names a dependency as much as a value does) and fails on any
 * cycle between folders, however long (a → b → c → a): the strongly connected components of the
 * folder graph must each be one folder. The BPMN folders model, execution and service count as
 * folders of their own. The files at the top (engine, index) compose the folders; no folder
 * imports them.
 */
const SRC = fileURLToPath(new URL('../engine/src/', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'(\.{1,2}\/[^']+)'/gm;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Folders whose sub-folders are folders of their own. */
const SPLIT = new Set(['bpmn']);

/** The folder of engine/src a file is in; files at the top are the composition (engine, index). */
const folderOf = (file: string) => {
  const parts = relative(SRC, file).split('/');
  if (parts.length === 1) return '.';
  return SPLIT.has(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
};

/** The first import from one folder into another, by folder: what names the dependency. */
const edges = new Map<string, Map<string, string>>();
/** Folders importing a file at the top: the composition imports the folders, never the other way. */
const upward: string[] = [];
for (const file of files(SRC)) {
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const from = folderOf(file);
    const to = folderOf(resolve(dirname(file), spec!));
    if (from !== '.' && to === '.') upward.push(`${relative(SRC, file)} → ${spec}`);
    if (from === to || from === '.' || to === '.') continue;
    const out = edges.get(from) ?? new Map<string, string>();
    if (!out.has(to)) out.set(to, `${relative(SRC, file)} → ${spec}`);
    edges.set(from, out);
  }
}

/** Tarjan's strongly connected components: folders that reach each other both ways. */
function components(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One cycle through a component, each step named by the import that makes it. */
function cycleIn(component: string[]): string[] {
  const inside = new Set(component);
  const start = component[0]!;
  const path: string[] = [start];
  const seen = new Set<string>([start]);
  const walk = (v: string): boolean => {
    for (const [w, why] of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        path.push(`${why} (back to ${start})`);
        return true;
      }
      if (seen.has(w)) continue;
      seen.add(w);
      path.push(why);
      if (walk(w)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return path;
}

const cycles = components(edges).filter((c) => c.length > 1);

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

if (cycles.length > 0 || leaving.length > 0 || upward.length > 0) {
  for (const line of leaving)
    console.error(`a relative import leaves its package (import it by name): ${line}`);
  for (const line of upward)
    console.error(`an engine folder imports the composition at the top of engine/src: ${line}`);
  for (const c of cycles)
    console.error(`engine folders import each other: ${c.join(', ')}: ${cycleIn(c).slice(1).join('; ')}`);
  process.exit(1);
}
console.log('packages import each other by name; engine folders: no import cycle');
