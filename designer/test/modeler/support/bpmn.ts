import { BpmnModdle } from 'bpmn-moddle';
import { attestModdleDescriptor, compileBpmn, ModelError } from '../../../../engine/src/index.ts';
import type { Problem } from '../../../src/modeler/features/attest-lint/problems.ts';

const NAMESPACES = [
  'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
  'xmlns:attest="http://attest.dev/schema/bpmn/1.0"',
].join(' ');

/** A BPMN file with one executable process `p` holding `flowElements`, and `rootElements` beside it. */
export function processXml(flowElements: string, rootElements = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${NAMESPACES} id="d" targetNamespace="http://attest.dev/test">
  ${rootElements}
  <bpmn:process id="p" isExecutable="true">
    ${flowElements}
  </bpmn:process>
</bpmn:definitions>`;
}

/** `bpmn:UserTask` → `userTask`: the element's XML name, and the engine's node kind. */
export function localName(type: string): string {
  const name = type.replace(/^bpmn:/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Every problem the engine's import check finds, with its keyword; none when it compiles. */
export async function compileProblems(xml: string): Promise<Problem[]> {
  try {
    await compileBpmn(xml);
    return [];
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    return error.problems.map((p, i) => ({ ...p, keyword: error.errors[i]!.keyword }));
  }
}

/** Reads a BPMN file with the `attest:` extension, as the modeler does. */
export function parse(xml: string) {
  return new BpmnModdle({ attest: structuredClone(attestModdleDescriptor) }).fromXML(xml);
}
