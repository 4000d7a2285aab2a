/**
 * Keeps docs/compliance.md current: the requirement rows stay as written, the test column is
 * rebuilt from the titles of the tests (`it('C3: …')`), and a requirement with tests is "tested".
 * A row whose status says "partial: …" keeps that note while only part of it is built.
 * `npm run compliance` rewrites the file; a test fails while the file is out of date.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const COMPLIANCE_FILE = join(ROOT, 'docs', 'compliance.md');
const TEST_DIRS = ['engine/test', 'runtime/test', 'plugins', 'templates'];
const HEADER = '| id | requirement | evidence (test files, number of tests) | status |';

function testFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Requirement id → test file → number of tests whose title starts with the id (`C3: …`, `C3, F4: …`). */
export function evidence(): Map<string, Map<string, number>> {
  const found = new Map<string, Map<string, number>>();
  for (const file of TEST_DIRS.flatMap((d) => testFiles(join(ROOT, d)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bit\(\s*['"`]([A-G]\d+(?:, [A-G]\d+)*):/g)) {
      for (const id of (m[1] as string).split(', ')) {
        const perFile = found.get(id) ?? new Map<string, number>();
        const rel = relative(ROOT, file);
        perFile.set(rel, (perFile.get(rel) ?? 0) + 1);
        found.set(id, perFile);
      }
    }
  }
  return found;
}

export function render(current: string): string {
  const lines = current.split('\n');
  const start = lines.indexOf(HEADER);
  if (start < 0) throw new Error(`${COMPLIANCE_FILE} has no table headed "${HEADER}"`);
  const found = evidence();
  const out = lines.slice(0, start + 2);
  let i = start + 2;
  for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const [id, requirement, , status] = lines[i]!.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, ''));
    const files = found.get(id as string);
    found.delete(id as string);
    const tests = files ? [...files].map(([f, n]) => `\`${f}\` (${n})`).join(', ') : '—';
    const partial = status?.startsWith('partial');
    const nextStatus = files
      ? partial
        ? status
        : 'tested'
      : status === 'tested' || partial
        ? 'planned'
        : status;
    out.push(`| ${id} | ${requirement} | ${tests} | ${nextStatus} |`);
  }
  if (found.size > 0)
    throw new Error(`Tests name requirements missing from the table: ${[...found.keys()].join(', ')}`);
  return [...out, ...lines.slice(i)].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(COMPLIANCE_FILE, render(readFileSync(COMPLIANCE_FILE, 'utf8')));
  console.log(`Updated ${relative(process.cwd(), COMPLIANCE_FILE)}`);
}
