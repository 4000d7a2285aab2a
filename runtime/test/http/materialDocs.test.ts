import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { startTestApi, type TestApi } from './support/api.ts';

const doc = readFileSync(new URL('../../../docs/materials.md', import.meta.url), 'utf8');
/** The first block of code of a language in docs/materials.md. */
const block = (language: string) => doc.split(`\`\`\`${language}\n`)[1]!.split('\n```')[0]!;

describe('Feature: docs/materials.md tells the truth', () => {
  let api: TestApi;
  let qa: string;
  before(async () => {
    api = await startTestApi();
    qa = await api.login('quinn');
  });
  after(() => api.close());

  it('its CSV imports, and its receipt is received into quarantine from an approved supplier', async () => {
    const imported = await api.request('POST', '/api/materials/import', {
      token: qa,
      body: { csv: block('csv'), reason: 'First load' },
    });
    assert.equal(imported.status, 201, imported.text);
    assert.deepEqual(
      imported.body.materials.map((m: { code: string; storageConditions: string }) => [
        m.code,
        m.storageConditions,
      ]),
      [
        ['LAC', 'Below 30 °C'],
        ['PCM', 'Below 25 °C, dry'],
      ],
    );
    const approved = await api.request('POST', '/api/materials/PCM/suppliers', {
      token: qa,
      body: {
        supplierCode: 'SUP-A',
        supplierName: 'Acme Fine Chemicals',
        status: 'approved',
        password: demoPassword('quinn'),
        reason: 'Supplier audit passed',
        version: 1,
      },
    });
    assert.equal(approved.status, 200, approved.text);
    const lot = await api.request('POST', '/api/lots', { token: qa, body: JSON.parse(block('json')) });
    assert.equal(lot.status, 201, lot.text);
    const yy = String(new Date().getUTCFullYear() % 100).padStart(2, '0');
    assert.deepEqual(
      [lot.body.lotNumber, lot.body.status, lot.body.stock, lot.body.containers.at(-1).code],
      [`PCM-${yy}-0001`, 'quarantine', 60, `PCM-${yy}-0001-C03`],
    );
  });
});
