import assert from 'node:assert/strict';
import * as ReplaceOptions from 'bpmn-js/lib/features/replace/ReplaceOptions';
import EventBus from 'diagram-js/lib/core/EventBus';
import {
  offeredContextPadEntries,
  offeredHeaderEntries,
  offeredReplacements,
} from '../../../../src/modeler/features/attest-palette/AttestMenuFilter.ts';
import AttestRules from '../../../../src/modeler/features/attest-rules/AttestRules.ts';
import type { CreateTarget } from '../../../../src/modeler/unsupported.ts';

/** bpmn-js's replace menu for one kind of element: its entries by key. */
const menu = (options: readonly { actionName: string }[]) =>
  Object.fromEntries(options.map((o) => [o.actionName, { label: o.actionName }]));

const keys = (entries: object) => Object.keys(entries).sort();

type Flow = Parameters<typeof offeredReplacements>[0];
const flowFrom = (source: string): Flow =>
  ({
    type: 'bpmn:SequenceFlow',
    businessObject: {
      sourceRef: {
        $instanceOf: (t: string) => t === source || (t === 'bpmn:Gateway' && source.endsWith('Gateway')),
      },
    },
  }) as unknown as Flow;

describe('Feature: menus offer only what the engine executes', () => {
  const eventBus = new EventBus();
  new AttestRules(eventBus);
  const allowed = (target: CreateTarget) =>
    eventBus.fire('commandStack.shape.replace.canExecute', {
      command: 'shape.replace',
      context: { element: {}, target },
    }) !== false;
  const task = { type: 'bpmn:Task', businessObject: {} } as unknown as Flow;

  it('Scenario: a task can become any task or sub-process, but not an ad-hoc one', () => {
    const offered = keys(offeredReplacements(task, menu(ReplaceOptions.TASK), allowed));
    assert.ok(offered.includes('replace-with-user-task') && offered.includes('replace-with-call-activity'));
    assert.ok(!offered.some((k) => k.includes('ad-hoc')), String(offered));
  });

  it('Scenario: a gateway cannot become a complex gateway', () => {
    const offered = keys(offeredReplacements(task, menu(ReplaceOptions.GATEWAY), allowed));
    assert.ok(offered.includes('replace-with-parallel-gateway'));
    assert.ok(!offered.includes('replace-with-complex-gateway'));
  });

  it('Scenario: a boundary event cannot become a conditional, cancel or compensation event', () => {
    const offered = keys(offeredReplacements(task, menu(ReplaceOptions.BOUNDARY_EVENT), allowed));
    assert.ok(offered.includes('replace-with-timer-boundary'));
    assert.deepEqual(
      offered.filter((k) => /conditional|cancel|compensation/.test(k)),
      [],
    );
  });

  it('Scenario: a sub-process cannot become a transaction', () => {
    const offered = keys(offeredReplacements(task, menu(ReplaceOptions.SUBPROCESS_EXPANDED), allowed));
    assert.ok(!offered.includes('replace-with-transaction'));
  });

  it('Scenario: flows leaving a task cannot become conditional or default flows; from a gateway they can', () => {
    const flows = menu(ReplaceOptions.SEQUENCE_FLOW);
    assert.deepEqual(keys(offeredReplacements(flowFrom('bpmn:Task'), flows, allowed)), [
      'replace-with-sequence-flow',
    ]);
    assert.deepEqual(
      keys(offeredReplacements(flowFrom('bpmn:ExclusiveGateway'), flows, allowed)),
      keys(flows),
    );
  });

  it('Scenario: multi-instance is offered, the standard loop is not', () => {
    const header = {
      'toggle-parallel-mi': { options: { loopCharacteristics: 'bpmn:MultiInstanceLoopCharacteristics' } },
      'toggle-loop': { options: { loopCharacteristics: 'bpmn:StandardLoopCharacteristics' } },
      'toggle-non-interrupting': {},
    };
    assert.deepEqual(keys(offeredHeaderEntries(header)), ['toggle-non-interrupting', 'toggle-parallel-mi']);
  });

  it('Scenario: after an event-based gateway the context pad offers no conditional event', () => {
    const pad = {
      'append.receive-task': {},
      'append.timer-intermediate-event': {},
      'append.condition-intermediate-event': {},
      'append.compensation-activity': {},
      delete: {},
    };
    assert.deepEqual(keys(offeredContextPadEntries(pad)), [
      'append.receive-task',
      'append.timer-intermediate-event',
      'delete',
    ]);
  });
});
