import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { API_TYPES, committedApiTypes, renderApiTypes } from '../../scripts/apiTypes.ts';

/** Where two texts first differ, as a line number and both lines, to say what went stale. */
function firstDifference(committed: string, generated: string): string {
  const a = committed.split('\n');
  const b = generated.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: committed ${JSON.stringify(a[at] ?? '')}, generated ${JSON.stringify(b[at] ?? '')}`;
}

describe('Feature: the browser reads the API with types generated from its OpenAPI document', () => {
  it('Scenario: the committed wire types are those the document gives today', async () => {
    const file = relative(process.cwd(), API_TYPES);
    const generated = await renderApiTypes();
    const committed = await committedApiTypes();
    assert.ok(committed !== null, `${file} is missing: run npm run api:types -w @attest/runtime`);
    assert.ok(
      committed === generated,
      `${file} is stale (${firstDifference(committed, generated)}): run npm run api:types -w @attest/runtime`,
    );
  });
});
