import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { PALETTE } from '../../src/modeler/features/attest-palette/paletteEntries.ts';
import { elementReasons, unsupportedReason, type ModdleLike } from '../../src/modeler/unsupported.ts';
import { compileProblems, localName, parse, processXml } from './support/bpmn.ts';

/** The BPMN 2.0 meta-model as bpmn-moddle knows it. */
const bpmn = createRequire(import.meta.url)('bpmn-moddle/resources/bpmn/json/bpmn.json') as {
  types: { name: string; superClass?: string[]; isAbstract?: boolean }[];
};
const byName = new Map(bpmn.types.map((t) => [t.name, t]));
const isA = (name: string, ancestor: string): boolean =>
  name === ancestor || (byName.get(name)?.superClass ?? []).some((s) => isA(s, ancestor));
const concrete = (ancestor: string) =>
  bpmn.types.filter((t) => !t.isAbstract && isA(t.name, ancestor)).map((t) => `bpmn:${t.name}`);

const FLOW_NODES = concrete('FlowNode');
const EVENT_DEFINITIONS = concrete('EventDefinition');

/** The attributes an element of the type gets when the palette creates it (a script's FEEL format). */
const created = (type: string) =>
  Object.entries(PALETTE.find((e) => e.target.type === type)?.target.attrs ?? {})
    .map(([name, value]) => `${name}="${value}"`)
    .join(' ');

/** A process in which element `x` of the given type, as the modeler creates it, sits with `inner`. */
function withElement(type: string, inner = '', attributes = created(type)): string {
  const boundary = type === 'bpmn:BoundaryEvent';
  const host = boundary ? '<bpmn:task id="host" />' : '';
  const attach = boundary ? 'attachedToRef="host"' : '';
  const x = `<bpmn:${localName(type)} id="x" ${attach} ${attributes}>${inner}</bpmn:${localName(type)}>`;
  return processXml(`<bpmn:startEvent id="start" />${host}${x}`);
}

const unsupportedOnX = async (xml: string) =>
  (await compileProblems(xml)).filter((p) => p.elementId === 'x' && p.keyword === 'unsupported');

describe('Feature: one list of what the engine refuses', () => {
  it('knows every flow node and event definition of BPMN 2.0', () => {
    assert.ok(
      FLOW_NODES.length >= 25 && EVENT_DEFINITIONS.length === 10,
      `${FLOW_NODES} ${EVENT_DEFINITIONS}`,
    );
  });

  for (const type of FLOW_NODES) {
    it(`Scenario: a ${type} is refused by the modeler exactly when the engine refuses it`, async () => {
      const reason = unsupportedReason(type);
      const refused = await unsupportedOnX(withElement(type));
      assert.equal(
        refused.length > 0,
        reason !== null,
        `modeler: ${reason}; engine: ${JSON.stringify(refused)}`,
      );
    });
  }

  const events = FLOW_NODES.filter(
    (t) => isA(t.replace('bpmn:', ''), 'Event') && unsupportedReason(t) === null,
  );
  for (const type of events) {
    for (const definition of EVENT_DEFINITIONS) {
      it(`Scenario: a ${type} with a ${definition}`, async () => {
        const reason = unsupportedReason(type, definition);
        const refused = await unsupportedOnX(withElement(type, `<bpmn:${localName(definition)} />`));
        assert.equal(
          refused.length > 0,
          reason !== null,
          `modeler: ${reason}; engine: ${JSON.stringify(refused)}`,
        );
      });
    }
  }

  for (const loop of concrete('LoopCharacteristics')) {
    it(`Scenario: a task with ${loop}`, async () => {
      const reason = unsupportedReason(loop);
      const refused = await unsupportedOnX(
        withElement(
          'bpmn:Task',
          `<bpmn:${localName(loop)}><bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">3</bpmn:loopCardinality></bpmn:${localName(loop)}>`,
        ),
      );
      assert.equal(
        refused.length > 0,
        reason !== null,
        `modeler: ${reason}; engine: ${JSON.stringify(refused)}`,
      );
    });
  }

  const ELEMENTS: Record<string, string> = {
    'a compensation handler': processXml('<bpmn:task id="x" isForCompensation="true" />'),
    'an event-based gateway that starts the process': processXml(
      '<bpmn:eventBasedGateway id="x" instantiate="true" />',
    ),
    'a conditional flow from a task': processXml(`
      <bpmn:startEvent id="start" /><bpmn:task id="t" /><bpmn:endEvent id="end" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="t" />
      <bpmn:sequenceFlow id="x" sourceRef="t" targetRef="end">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">true</bpmn:conditionExpression>
      </bpmn:sequenceFlow>`),
    'a conditional flow from an event': processXml(`
      <bpmn:startEvent id="start" /><bpmn:endEvent id="end" />
      <bpmn:sequenceFlow id="x" sourceRef="start" targetRef="end">
        <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">true</bpmn:conditionExpression>
      </bpmn:sequenceFlow>`),
    'a default flow from a task': processXml(`
      <bpmn:startEvent id="start" /><bpmn:task id="x" default="f1" /><bpmn:endEvent id="end" />
      <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="x" />
      <bpmn:sequenceFlow id="f1" sourceRef="x" targetRef="end" />`),
    'an event with two definitions': processXml(`
      <bpmn:startEvent id="start" />
      <bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition /><bpmn:signalEventDefinition /></bpmn:intermediateCatchEvent>`),
  };
  for (const [what, xml] of Object.entries(ELEMENTS)) {
    it(`Scenario: ${what} is refused by both`, async () => {
      const { elementsById } = await parse(xml);
      const reasons = elementReasons(elementsById['x'] as unknown as ModdleLike);
      const refused = await unsupportedOnX(xml);
      assert.ok(
        reasons.length > 0 && refused.length > 0,
        `modeler: ${reasons}; engine: ${JSON.stringify(refused)}`,
      );
    });
  }

  it('explains a refusal in words that say what to use instead', () => {
    assert.match(
      unsupportedReason('bpmn:ComplexGateway')!,
      /use an exclusive, inclusive or parallel gateway/,
    );
    assert.equal(
      unsupportedReason('bpmn:BoundaryEvent', 'bpmn:LinkEventDefinition'),
      'a boundary event cannot be a link event; it can be timer, message, signal, error or escalation',
    );
    assert.equal(unsupportedReason('bpmn:UserTask'), null);
    assert.equal(unsupportedReason('bpmn:DataObjectReference'), null);
    assert.equal(unsupportedReason('bpmn:Participant'), null);
  });
});
