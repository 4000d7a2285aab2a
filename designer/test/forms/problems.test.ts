import assert from 'node:assert/strict';
import { componentName, follow, locate, placeProblems } from '../../src/forms/problems.ts';
import type { FormDefinition } from '../../src/forms/types.ts';
import { refusal } from './support.ts';

/** A form with problems at several depths: in columns, in a panel, in a grid's row, in a tab. */
const BROKEN: FormDefinition = {
  components: [
    { type: 'content', key: 'intro', html: '<p>Weigh.</p>' },
    {
      type: 'columns',
      key: 'top',
      columns: [
        {
          components: [
            { type: 'measuredValue', key: 'weight', label: 'Net weight', input: true, attest: {} },
          ],
        },
        {
          components: [
            {
              type: 'textfield',
              key: 'lot',
              label: 'Lot',
              input: true,
              validate: { custom: 'valid = input.length > 3;' },
            },
          ],
        },
      ],
    },
    {
      type: 'panel',
      key: 'checks',
      title: 'Checks',
      components: [
        {
          type: 'datagrid',
          key: 'samples',
          label: 'Samples',
          input: true,
          components: [
            {
              type: 'calculatedValue',
              key: 'mean',
              label: 'Mean',
              input: true,
              attest: { calculate: 'sum(', unit: 'g' },
            },
          ],
        },
      ],
    },
    {
      type: 'tabs',
      key: 'more',
      components: [
        { key: 'tab1', label: 'More', components: [{ type: 'password', key: 'pin', input: true }] },
      ],
    },
  ],
};

describe('Feature: each problem the server reports is shown at the component QA knows by its label', () => {
  it('Scenario: the engine’s own problems, each at its component', () => {
    // Given the problems the engine's compiler reports for the form
    const problems = refusal(BROKEN).errors;
    // When they are placed in the definition
    const placed = placeProblems(BROKEN, problems);
    // Then each names the component by its label (or key), through columns, panels, grids and tabs
    assert.deepEqual(
      placed.map((p) => p.name),
      ['Net weight', 'Lot', 'Mean', 'pin'],
      JSON.stringify(problems),
    );
    assert.deepEqual(placed[0]!.place!.path, ['components', 1, 'columns', 0, 'components', 0]);
    assert.equal(placed[0]!.place!.rest, '/attest');
    assert.deepEqual(placed[3]!.place!.path, ['components', 3, 'components', 0, 'components', 0]);
  });

  it('a problem of the whole form names no component', () => {
    const [placed] = placeProblems({ components: [] }, [
      { pointer: '/components', keyword: 'minItems', message: 'a form needs at least one input field' },
    ]);
    assert.equal(placed!.name, null);
    assert.equal(placed!.place, null);
  });

  it('a pointer below a component (its conditional, its limits) is the component’s', () => {
    const place = locate(BROKEN, '/components/2/components/0/components/0/attest/limits/alert/min');
    assert.equal(place?.component.key, 'mean');
    assert.equal(place?.rest, '/attest/limits/alert/min');
  });

  it('a pointer past the end of the form is no component', () => {
    assert.equal(locate(BROKEN, '/components/9/attest'), null);
  });

  it('follows a place into another tree of the same shape (the builder’s own copy)', () => {
    const copy = structuredClone(BROKEN);
    const place = locate(BROKEN, '/components/1/columns/1/components/0/validate/custom')!;
    assert.equal(follow(copy, place.path), copy.components[1]!.columns![1]!.components![0]);
  });

  it('knows a component by its label, legend, title, or key', () => {
    assert.equal(componentName({ type: 'fieldset', key: 'f', legend: 'Batches' }), 'Batches');
    assert.equal(componentName({ type: 'panel', key: 'p', title: 'Weighing' }), 'Weighing');
    assert.equal(componentName({ type: 'textfield', key: 'lot', label: ' ' }), 'lot');
  });
});
