import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemplateManifest, TemplatePackage } from '../../src/templates/package.ts';

/** A small deviation template: a start, a user task with its form, a decision, two ends. */
export const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
  <process id="deviation" name="Deviation" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="report" />
    <userTask id="report" name="Report the deviation" attest:formKey="report" attest:candidateRoles="author" />
    <sequenceFlow id="f2" sourceRef="report" targetRef="severity" />
    <exclusiveGateway id="severity" default="f4" />
    <sequenceFlow id="f3" sourceRef="severity" targetRef="closedMinor">
      <conditionExpression xsi:type="tFormalExpression">severity = "minor"</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f4" sourceRef="severity" targetRef="closedMajor" />
    <endEvent id="closedMinor" />
    <endEvent id="closedMajor" />
  </process>
</definitions>
`;

export const manifest = (): TemplateManifest => ({
  $schema: '../../../engine/src/templates/manifest.schema.json',
  id: 'deviation',
  version: '1.0.0',
  kind: 'deviation',
  title: 'Deviation',
  description: 'Report, assess and close a deviation from an approved procedure.',
  numbering: 'DEV-{YYYY}-{seq:4}',
  roles: ['author', 'qa_reviewer'],
  qualifications: { report: ['SOP-QA-001'] },
  retention: 'P10Y',
  recordDue: 'P30D',
  parameters: { severity: 'minor', escalateAfterDays: 5, notifyQa: true },
  changeReason: 'First version.',
});

export const reportForm = (): Record<string, unknown> => ({
  title: 'Deviation report',
  display: 'form',
  components: [
    { type: 'textfield', key: 'title', label: 'Title', validate: { required: true, maxLength: 120 } },
    {
      type: 'number',
      key: 'temperature',
      label: 'Temperature',
      attest: { unit: '°C', limits: { action: { max: 8 } } },
    },
    { type: 'textarea', key: 'notes', label: 'Notes' },
  ],
});

export const closureForm = (): Record<string, unknown> => ({
  components: [{ type: 'checkbox', key: 'closed', label: 'Closed' }],
});

export const fixturePackage = (): TemplatePackage => ({
  manifest: manifest(),
  process: PROCESS,
  forms: [
    { key: 'closure', definition: closureForm() },
    { key: 'report', definition: reportForm() },
  ],
  readme: '# Deviation\n\nFor the people who report and assess deviations.\n',
});

/** A fresh temporary folder for one test, removed after it. */
export function tempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attest-template-'));
    made.push(dir);
    return dir;
  };
}
