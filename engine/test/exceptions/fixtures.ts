import type { Engine, Principal } from '../../src/index.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { demoPassword } from '../support/testEngine.ts';
import { fixturePackage } from '../templates/fixturePackage.ts';

/**
 * A batch step with a temperature whose action limit blocks (max 8 °C), then, when `reviewed`, a
 * QA review signed Reviewed.
 */
export function batchTemplate(id: string, reviewed: boolean): TemplatePackage {
  const pkg = fixturePackage();
  const review = reviewed
    ? `<userTask id="review" name="QA review" attest:candidateRoles="qa" attest:signatureMeaning="Reviewed" />
    <sequenceFlow id="f9" sourceRef="review" targetRef="done" />`
    : '';
  return {
    ...pkg,
    manifest: {
      ...pkg.manifest,
      id,
      kind: 'batch-record',
      title: `Batch ${id}`,
      numbering: `${id.toUpperCase()}-{YYYY}-{seq:4}`,
      roles: ['operator', 'qa'],
      qualifications: {},
    },
    process: `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
  <process id="${id}" name="Batch" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="report" />
    <userTask id="report" name="Record the temperature" attest:formKey="report" attest:candidateRoles="operator,qa" />
    <sequenceFlow id="f2" sourceRef="report" targetRef="${reviewed ? 'review' : 'done'}" />
    ${review}
    <endEvent id="done" />
  </process>
</definitions>`,
  };
}

/** The fixture's own deviation template, started for an exception QA gives a deviation. */
export function deviationTemplate(): TemplatePackage {
  const pkg = fixturePackage();
  return {
    ...pkg,
    manifest: { ...pkg.manifest, roles: ['operator', 'qa'], qualifications: {} },
    process: pkg.process.replace('attest:candidateRoles="author"', 'attest:candidateRoles="qa"'),
  };
}

/** Imports, approves and makes effective the batch templates `br` (with a QA review) and `pr` (without) and a deviation template. */
export async function effectiveExceptionTemplates(
  engine: Engine,
  quinn: Principal,
  petra: Principal,
): Promise<void> {
  for (const pkg of [batchTemplate('br', true), batchTemplate('pr', false), deviationTemplate()]) {
    const { id, version } = pkg.manifest;
    await engine.templates.import(quinn, { files: packageFiles(pkg) });
    await engine.templates.submit(quinn, id, version);
    await engine.templates.approve(petra, id, version, { password: demoPassword('petra') });
    await engine.templates.makeEffective(quinn, id, version);
  }
}
