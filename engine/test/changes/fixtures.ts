import type { Engine, Principal } from '../../src/index.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { demoPassword } from '../support/testEngine.ts';
import { batchTemplate } from '../exceptions/fixtures.ts';

/**
 * A batch of three steps in the model's order — dispense (form `report`), mix (form `report`,
 * signed Performed), QA review (signed Reviewed) — with the template's `closure` form used by no
 * step; a message "Stop dispensing" withdraws the dispensing step and terminates the record.
 */
export function orderedBatch(id: string): TemplatePackage {
  return {
    ...batchTemplate(id, false),
    process: `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
  <message id="stop" name="Stop dispensing" attest:correlationKey="recordNumber" />
  <process id="${id}" name="Batch" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="dispense" />
    <userTask id="dispense" name="Dispense" attest:formKey="report" attest:candidateRoles="operator" />
    <boundaryEvent id="stopped" attachedToRef="dispense"><messageEventDefinition messageRef="stop" /></boundaryEvent>
    <sequenceFlow id="f5" sourceRef="stopped" targetRef="halted" />
    <endEvent id="halted"><terminateEventDefinition /></endEvent>
    <sequenceFlow id="f2" sourceRef="dispense" targetRef="mix" />
    <userTask id="mix" name="Mix" attest:formKey="report" attest:candidateRoles="operator" attest:signatureMeaning="Performed" />
    <sequenceFlow id="f3" sourceRef="mix" targetRef="review" />
    <userTask id="review" name="QA review" attest:candidateRoles="qa" attest:signatureMeaning="Reviewed" />
    <sequenceFlow id="f4" sourceRef="review" targetRef="done" />
    <endEvent id="done" />
  </process>
</definitions>`,
  };
}

/** Imports, approves and makes effective the ordered batch template `id`. */
export async function effectiveOrderedBatch(
  engine: Engine,
  quinn: Principal,
  petra: Principal,
  id = 'ob',
): Promise<void> {
  await effectivePackage(engine, quinn, petra, orderedBatch(id));
}

/**
 * The ordered batch with a cleaning step between mixing and QA review that its template allows to
 * be done ahead of the flow (`attest:outOfOrder`, F1), signed Performed.
 */
export function aheadBatch(id: string): TemplatePackage {
  const pkg = orderedBatch(id);
  return {
    ...pkg,
    process: pkg.process.replace(
      '<sequenceFlow id="f3" sourceRef="mix" targetRef="review" />',
      `<sequenceFlow id="f3" sourceRef="mix" targetRef="clean" />
    <userTask id="clean" name="Clean the mixer" attest:formKey="report" attest:candidateRoles="operator" attest:signatureMeaning="Performed" attest:outOfOrder="true" />
    <sequenceFlow id="f6" sourceRef="clean" targetRef="review" />`,
    ),
  };
}

/** Imports, approves and makes effective a template package. */
export async function effectivePackage(
  engine: Engine,
  quinn: Principal,
  petra: Principal,
  pkg: TemplatePackage,
): Promise<void> {
  const { id, version } = pkg.manifest;
  await engine.templates.import(quinn, { files: packageFiles(pkg) });
  await engine.templates.submit(quinn, id, version);
  await engine.templates.approve(petra, id, version, { password: demoPassword('petra') });
  await engine.templates.makeEffective(quinn, id, version);
}
