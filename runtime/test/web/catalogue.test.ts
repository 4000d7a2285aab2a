import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { en } from '@attest/task-form/i18n/en';
import { zhCN } from '@attest/task-form/i18n/zh-CN';
import { translate } from '@attest/task-form/i18n/translate';

/** The web app's sources and the browser modules it shares with the designer (the catalogues' own excepted). */
const SOURCES = [
  fileURLToPath(new URL('../../web/src/', import.meta.url)),
  fileURLToPath(new URL('../../../task-form/src/', import.meta.url)),
];

async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (/\.tsx?$/.test(entry.name) && !path.includes(`${join('src', 'i18n')}`)) found.push(path);
  }
  return found;
}

describe('Feature: every string of the web app in English and Simplified Chinese', () => {
  it('both catalogues have the same keys, none of them empty, and the same {placeholders}', () => {
    assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      const chinese = zhCN[key as keyof typeof en];
      assert.ok(text.trim() !== '' && chinese.trim() !== '', `${key} is empty in a catalogue`);
      const names = (s: string) => [...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]).sort();
      assert.deepEqual(names(chinese), names(text), `${key} has other placeholders in zh-CN`);
    }
  });

  it('a count is said in the plural its language needs: 1 record, 2 records, 1 条记录', () => {
    assert.equal(translate('en', 'records.count', { count: 1 }), '1 record');
    assert.equal(translate('en', 'records.count', { count: 0 }), '0 records');
    assert.equal(translate('en', 'records.count', { count: 12 }), '12 records');
    assert.equal(translate('zh-CN', 'records.count', { count: 1 }), '共 1 条记录');
    assert.match(translate('en', 'designer.savedProblems', { count: 1 }), /^Saved; 1 problem to fix/);
    assert.match(translate('en', 'designer.savedProblems', { count: 3 }), /^Saved; 3 problems to fix/);
  });

  it('every key the code uses is in the catalogue, and every key in the catalogue is used', async () => {
    const files = (await Promise.all(SOURCES.map(sources))).flat();
    const code = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
    const used = new Set([...code.matchAll(/\bt\('([\w.]+)'/g)].map((m) => m[1]!));
    for (const key of used)
      assert.ok(Object.hasOwn(en, key), `t('${key}') is used but is not in the catalogue`);
    // Keys also appear as plain strings: page labels, status names, table headers, JSX attributes.
    const unused = Object.keys(en).filter((key) => !code.includes(`'${key}'`) && !code.includes(`"${key}"`));
    assert.deepEqual(unused, [], 'keys nobody uses');
  });
});
