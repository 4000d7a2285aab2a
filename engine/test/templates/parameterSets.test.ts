import assert from 'node:assert/strict';
import { InputError } from '../../src/kernel/errors.ts';
import { packageFiles, readPackageFromFiles, validateManifest } from '../../src/templates/package.ts';
import { parameterSetFor } from '../../src/templates/parameterSets.ts';
import { fixturePackage, manifest } from './fixturePackage.ts';

/** A recipe schema as small as a test needs: a product and its lines, each with a quantity. */
const recipeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['product', 'lines'],
  properties: {
    product: { type: 'string' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['material', 'quantity'],
        properties: { material: { type: 'string' }, quantity: { type: 'number', exclusiveMinimum: 0 } },
      },
    },
  },
};
const withSets = (
  sets: Record<string, Record<string, unknown>>,
  schema: Record<string, unknown> = recipeSchema,
) => ({
  ...manifest(),
  parameterSchema: schema,
  parameterSets: sets,
});
const errorsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    return error.errors.map((e) => [e.pointer, e.message]);
  }
  assert.fail('expected a refusal');
};

describe('Feature: parameter sets, versioned master data a template’s records start from', () => {
  it('Given sets that satisfy the manifest’s schema, then the manifest is valid and the package hashes them', () => {
    const sets = { 'PCM-500': { product: 'Paracetamol', lines: [{ material: 'API', quantity: 0.8 }] } };
    const valid = validateManifest(withSets(sets));
    assert.deepEqual(valid.parameterSets, sets);
    const plain = readPackageFromFiles(packageFiles(fixturePackage()));
    const pkg = { ...fixturePackage(), manifest: valid };
    const read = readPackageFromFiles(packageFiles(pkg));
    assert.deepEqual(read.pkg.manifest.parameterSets, sets);
    assert.notEqual(read.hash, plain.hash);
    const changed = { ...pkg, manifest: withSets({ 'PCM-500': { ...sets['PCM-500'], product: 'Other' } }) };
    assert.notEqual(readPackageFromFiles(packageFiles(changed)).hash, read.hash);
  });

  it('Given a set that breaks the schema, then the manifest is refused at the set’s pointer', () => {
    assert.deepEqual(
      errorsOf(() =>
        validateManifest(
          withSets({ A: { product: 'x', lines: [{ material: 'API', quantity: 0 }] }, B: { lines: [] } }),
        ),
      ),
      [
        ['/manifest/parameterSets/A/lines/0/quantity', 'Parameter set "A": "lines/0/quantity" must be > 0'],
        ['/manifest/parameterSets/B/product', 'Parameter set "B": "product" is required'],
      ],
    );
  });

  it('Given sets without a schema, a schema that does not compile, or a bad set name, then the manifest is refused', () => {
    const sets = { A: { product: 'x', lines: [] } };
    const noSchema = { ...manifest(), parameterSets: sets };
    assert.ok(errorsOf(() => validateManifest(noSchema)).some(([p]) => p === '/manifest'));
    assert.deepEqual(
      errorsOf(() => validateManifest(withSets(sets, { type: 'thing' })))[0]![0],
      '/manifest/parameterSchema',
    );
    assert.deepEqual(
      errorsOf(() => validateManifest(withSets({ 'no space': { product: 'x', lines: [] } })))[0]![0],
      '/manifest/parameterSets/no space',
    );
  });

  it('Given a template with sets, then a record starts only from one of them; without sets, from none', () => {
    const m = withSets({ A: { product: 'x', lines: [] } });
    assert.deepEqual(parameterSetFor(m, 'A'), { product: 'x', lines: [] });
    assert.deepEqual(
      errorsOf(() => parameterSetFor(m, null)),
      [['/parameterSet', 'Choose the parameter set the record starts from: A']],
    );
    assert.deepEqual(
      errorsOf(() => parameterSetFor(m, 'B')),
      [['/parameterSet', 'The template has no parameter set B; it has A']],
    );
    assert.deepEqual(parameterSetFor(manifest(), null), {});
    assert.equal(errorsOf(() => parameterSetFor(manifest(), 'A'))[0]![0], '/parameterSet');
  });
});
