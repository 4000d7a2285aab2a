import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import EventBus from 'diagram-js/lib/core/EventBus';
import AttestRules, {
  refusals,
  type Candidate,
} from '../../../../src/modeler/features/attest-rules/AttestRules.ts';
import { parse } from '../../support/bpmn.ts';

const FIXTURE = new URL('./unsupported.bpmn', import.meta.url);

describe('Feature: the rules refuse what the engine does not execute', () => {
  let eventBus: EventBus;
  let shapes: Record<string, Candidate>;
  /** What the rules answer, as bpmn-js's `rules.allowed` asks them. */
  const ask = (action: string, context: object): unknown =>
    eventBus.fire(`commandStack.${action}.canExecute`, { command: action, context });

  beforeEach(async () => {
    eventBus = new EventBus();
    new AttestRules(eventBus);
    const { elementsById } = await parse(await readFile(FIXTURE, 'utf8'));
    // Diagram shapes as bpmn-js makes them: the business object, and the shapes inside.
    shapes = Object.fromEntries(
      Object.entries(elementsById).map(([id, businessObject]) => [id, { businessObject, children: [] }]),
    ) as Record<string, Candidate>;
    (shapes['cleaning']!.children as Candidate[]).push(shapes['booking']!);
  });

  it('Scenario: creating a user task is left to bpmn-js; creating a complex gateway is refused', () => {
    assert.equal(ask('shape.create', { shape: shapes['weigh'] }), undefined);
    assert.equal(ask('shape.create', { shape: shapes['complex'] }), false);
    assert.equal(ask('shape.create', { shape: shapes['repeat'] }), false);
  });

  it('Scenario: attaching a conditional event to a task is refused; a timer is not', () => {
    assert.equal(ask('shape.attach', { shape: shapes['whenWarm'] }), false);
    assert.equal(ask('shape.attach', { shape: shapes['after1h'] }), undefined);
  });

  it('Scenario: pasting a sub-process with a transaction inside is refused', () => {
    assert.equal(ask('elements.create', { elements: [shapes['weigh']] }), undefined);
    assert.equal(ask('elements.create', { elements: [shapes['weigh'], shapes['cleaning']] }), false);
    assert.deepEqual(refusals([shapes['weigh']!, shapes['cleaning']!]), [
      'transactions are not supported by the engine; use a sub-process',
    ]);
  });

  it('Scenario: replacing into an ad-hoc sub-process is refused; opening the replace menu is not', () => {
    const element = shapes['cleaning'];
    assert.equal(ask('shape.replace', { element, target: { type: 'bpmn:AdHocSubProcess' } }), false);
    assert.equal(ask('shape.replace', { element, target: { type: 'bpmn:UserTask' } }), undefined);
    assert.equal(ask('shape.replace', { element: shapes['complex'] }), undefined);
  });
});
