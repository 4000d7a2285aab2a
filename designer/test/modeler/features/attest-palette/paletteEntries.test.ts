import assert from 'node:assert/strict';
import { compileBpmn } from '../../../../../engine/src/index.ts';
import {
  PALETTE,
  type PaletteEntry,
} from '../../../../src/modeler/features/attest-palette/paletteEntries.ts';
import { isOffered } from '../../../../src/modeler/unsupported.ts';
import { compileProblems, localName, processXml } from '../../support/bpmn.ts';

const MESSAGE = '<bpmn:message id="sampleReceived" name="sample received" />';

/** What each kind of definition needs before the engine runs it, as the properties panel sets it. */
const DEFINITION_CONTENT: Record<string, { attributes?: string; children?: string }> = {
  'bpmn:TimerEventDefinition': {
    children: '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1H</bpmn:timeDuration>',
  },
  'bpmn:MessageEventDefinition': { attributes: 'messageRef="sampleReceived"' },
};

/** What each type needs before the engine runs it, as the properties panel sets it. */
const FILLED_IN: Record<string, { attributes?: string; children?: string }> = {
  'bpmn:ServiceTask': { attributes: 'attest:type="erp.postGoodsIssue"' },
  'bpmn:ScriptTask': { children: '<bpmn:script>1 + 1</bpmn:script>' },
  'bpmn:CallActivity': { attributes: 'calledElement="capa"' },
  'bpmn:SubProcess': {
    children: `<bpmn:startEvent id="innerStart" /><bpmn:endEvent id="innerEnd" />
      <bpmn:sequenceFlow id="inner" sourceRef="innerStart" targetRef="innerEnd" />`,
  },
};

/** The element a palette entry creates, as XML, with what the person fills in afterwards. */
function created(entry: PaletteEntry, id: string): string {
  const { type, eventDefinitionType, attrs = {} } = entry.target;
  const filled = FILLED_IN[type] ?? {};
  const attributes = [
    ...Object.entries(attrs).map(([name, value]) => `${name}="${value}"`),
    filled.attributes ?? '',
  ].join(' ');
  const definition = eventDefinitionType
    ? `<bpmn:${localName(eventDefinitionType)} ${DEFINITION_CONTENT[eventDefinitionType]?.attributes ?? ''}>${
        DEFINITION_CONTENT[eventDefinitionType]?.children ?? ''
      }</bpmn:${localName(eventDefinitionType)}>`
    : '';
  return `<bpmn:${localName(type)} id="${id}" ${attributes}>${definition}${filled.children ?? ''}</bpmn:${localName(type)}>`;
}

const flow = (id: string, from: string, to: string, condition?: string) =>
  `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}">${
    condition
      ? `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression>`
      : ''
  }</bpmn:sequenceFlow>`;

/** The smallest process around the element that the engine accepts. */
function around(entry: PaletteEntry): string {
  const x = created(entry, 'x');
  const start = '<bpmn:startEvent id="start" />';
  const end = (id = 'end') => `<bpmn:endEvent id="${id}" />`;
  switch (entry.target.type) {
    case 'bpmn:StartEvent':
      return `${x}${end()}${flow('f1', 'x', 'end')}`;
    case 'bpmn:EndEvent':
      return `${start}${x}${flow('f1', 'start', 'x')}`;
    case 'bpmn:ExclusiveGateway':
    case 'bpmn:InclusiveGateway':
      return `${start}${x.replace('id="x"', 'id="x" default="no"')}${end('a')}${end('b')}
        ${flow('f1', 'start', 'x')}${flow('yes', 'x', 'a', 'classification = "major"')}${flow('no', 'x', 'b')}`;
    case 'bpmn:ParallelGateway':
      return `${start}${x}${end('a')}${end('b')}${flow('f1', 'start', 'x')}${flow('f2', 'x', 'a')}${flow('f3', 'x', 'b')}`;
    case 'bpmn:EventBasedGateway': {
      const timer = PALETTE.find((e) => e.id === 'timer-catch-event')!;
      const message = PALETTE.find((e) => e.id === 'message-catch-event')!;
      return `${start}${x}${created(timer, 'timer')}${created(message, 'message')}${end('a')}${end('b')}
        ${flow('f1', 'start', 'x')}${flow('f2', 'x', 'timer')}${flow('f3', 'x', 'message')}
        ${flow('f4', 'timer', 'a')}${flow('f5', 'message', 'b')}`;
    }
    default:
      return `${start}${x}${end()}${flow('f1', 'start', 'x')}${flow('f2', 'x', 'end')}`;
  }
}

describe('Feature: the palette offers only what the engine executes', () => {
  for (const entry of PALETTE) {
    it(`Scenario: "${entry.title}" makes a process the engine compiles`, async () => {
      const xml = processXml(around(entry), MESSAGE);
      assert.deepEqual(await compileProblems(xml), []);
      const { processes } = await compileBpmn(xml);
      const node = processes[0]!.nodes['x']!;
      assert.equal(node.kind, localName(entry.target.type));
      if (entry.target.eventDefinitionType) {
        assert.equal(
          node.event?.type,
          localName(entry.target.eventDefinitionType).replace('EventDefinition', ''),
        );
      }
    });
  }

  it('offers every entry under a unique key, none of them refused', () => {
    assert.equal(new Set(PALETTE.map((e) => e.id)).size, PALETTE.length);
    assert.ok(PALETTE.every((e) => isOffered(e.target)));
  });
});
