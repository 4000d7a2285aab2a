import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceHandler } from '@attest/plugin-api';
import { runHandler } from '@attest/plugin-testing';
import { discoverPlugins } from '../../../engine/src/plugins/discovery.ts';

const doc = readFileSync(new URL('../../../docs/plugins.md', import.meta.url), 'utf8');
/** The first block of code of a language in docs/plugins.md. */
const block = (language: string) => doc.split(`\`\`\`${language}\n`)[1]!.split('\n```')[0]!;
/** Inside the repository, so that the examples resolve the workspace's packages; ignored by git. */
const OUTPUT = new URL('../../../.test-output/', import.meta.url);

describe('Feature: docs/plugins.md tells the truth', () => {
  let dir: string;
  before(async () => {
    await mkdir(OUTPUT, { recursive: true });
    dir = await mkdtemp(join(OUTPUT.pathname, 'plugin-docs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('its package.json is a plugin Attest finds, with a manifest it accepts', async () => {
    await mkdir(join(dir, 'example'));
    await writeFile(join(dir, 'example', 'package.json'), block('json'));
    const [found] = await discoverPlugins([{ dir, source: 'folder' }]);
    assert.equal(found?.name, '@attest/handler-gs1');
    assert.deepEqual(found.problems, []);
    assert.equal(found.manifest?.kind, 'handler');
  });

  it('its handler sets variables, and raises the BPMN error it says', async () => {
    const file = join(dir, 'handler.ts');
    await writeFile(file, block('ts'));
    const { handlers } = (await import(pathToFileURL(file).href)) as {
      handlers: Record<string, ServiceHandler>;
    };
    assert.deepEqual(
      await runHandler(handlers['gs1.parse']!, { variables: { code: '(01)09506000134352' } }),
      { kind: 'variables', variables: { gtin: '09506000134352' } },
    );
    assert.deepEqual(await runHandler(handlers['gs1.parse']!, { variables: { code: 'x' } }), {
      kind: 'error',
      code: 'GS1_SYNTAX',
      message: 'No GTIN in the code',
    });
  });
});
