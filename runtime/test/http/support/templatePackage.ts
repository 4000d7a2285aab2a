import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoPassword } from '../../../../engine/test/support/testEngine.ts';
import type { TestApi } from './api.ts';

/**
 * A small template package for the tests: a manifest, a process with the template's id and two
 * user tasks (an operator's form, then a QA review signed as Reviewed), and one form.
 */
export const TEMPLATE_ID = 'tst';

export const testManifest = (version = '1.0.0', changes: Record<string, unknown> = {}) => ({
  id: TEMPLATE_ID,
  version,
  kind: 'deviation',
  title: 'Test deviation',
  description: 'A deviation as small as a test needs.',
  numbering: 'TST-{YYYY}-{seq:4}',
  roles: ['operator', 'qa'],
  retention: 'P10Y',
  recordDue: 'P7D',
  parameters: { classification: 'minor' },
  changeReason: version === '1.0.0' ? 'First version.' : `Version ${version}.`,
  ...changes,
});

export const testProcess = (
  options: { formKey?: string; script?: string } = {},
) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="defs" targetNamespace="https://attest.example/test">
  <process id="${TEMPLATE_ID}" name="Test deviation" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="${options.script ? 'compute' : 'report'}" />${
      options.script
        ? `
    <scriptTask id="compute" scriptFormat="javascript"><script>${options.script}</script></scriptTask>
    <sequenceFlow id="f0" sourceRef="compute" targetRef="report" />`
        : ''
    }
    <userTask id="report" name="Report" attest:formKey="${options.formKey ?? 'report'}" attest:candidateRoles="operator" />
    <sequenceFlow id="f2" sourceRef="report" targetRef="review" />
    <userTask id="review" name="QA review" attest:candidateRoles="qa" attest:signatureMeaning="Reviewed" />
    <sequenceFlow id="f3" sourceRef="review" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
`;

export const testForm = (temperatureLabel = 'Temperature') => ({
  title: 'Report',
  display: 'form',
  components: [
    { type: 'textfield', key: 'what', label: 'What happened', input: true, validate: { required: true } },
    { type: 'number', key: 'temperature', label: temperatureLabel, input: true, attest: { unit: '°C' } },
  ],
});

/** A measured temperature in °C with alert limits 18–25 and action limits 15–30. */
export const temperatureField = (capture: 'manual' | 'device' | 'either' = 'manual') => ({
  type: 'measuredValue',
  key: 'temperature',
  label: 'Temperature',
  input: true,
  attest: {
    unit: '°C',
    decimals: 1,
    capture,
    limits: { alert: { min: '18', max: '25' }, action: { min: '15', max: '30' }, reject: false },
  },
});

/** The files of a version folder, by path, as text. */
export function testPackage(
  version = '1.0.0',
  options: {
    manifest?: Record<string, unknown>;
    process?: string;
    form?: Record<string, unknown>;
    readme?: string;
  } = {},
): Record<string, string> {
  return {
    'manifest.json': `${JSON.stringify(options.manifest ?? testManifest(version), null, 2)}\n`,
    'process.bpmn': options.process ?? testProcess(),
    'forms/report.json': `${JSON.stringify(options.form ?? testForm(), null, 2)}\n`,
    'README.md': options.readme ?? '# Test deviation\n\nFor tests only.\n',
  };
}

/** Writes a package's files into `<root>/<id>/v<version>/` and returns that folder. */
export async function writeTestPackage(root: string, files: Record<string, string>): Promise<string> {
  const manifest = JSON.parse(files['manifest.json']!) as { id: string; version: string };
  const dir = join(root, manifest.id, `v${manifest.version}`);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const SHIPPED = fileURLToPath(new URL('../../../../templates/', import.meta.url));

/** A shipped version folder (templates/<id>/v<version>) as the import body's files. */
export async function shippedPackage(id: string, version: string): Promise<Record<string, string>> {
  const dir = join(SHIPPED, id, `v${version}`);
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    if (name === 'forms') {
      for (const form of await readdir(join(dir, 'forms')))
        files[`forms/${form}`] = await readFile(join(dir, 'forms', form), 'utf8');
    } else files[name] = await readFile(join(dir, name), 'utf8');
  }
  return files;
}

/**
 * Imports a package through the API as Quinn (QA), approves it as Petra (QP) and makes it effective
 * as Quinn: the lifecycle a template goes through before records start from it (D1, D2).
 */
export async function makeEffective(
  api: TestApi,
  tokens: { quinn: string; petra: string },
  id: string,
  files: Record<string, string>,
  version = '1.0.0',
): Promise<void> {
  const as = (who: 'quinn' | 'petra', path: string, body?: unknown) =>
    api.request('POST', path, { token: tokens[who], body });
  const imported = await as('quinn', '/api/templates', { files });
  assert.equal(imported.status, 201, imported.text);
  const base = `/api/templates/${id}/versions/${version}`;
  assert.equal((await as('quinn', `${base}/submit`)).status, 200);
  const approved = await as('petra', `${base}/approve`, { password: demoPassword('petra') });
  assert.equal(approved.status, 200, approved.text);
  const effective = await as('quinn', `${base}/effective`);
  assert.equal(effective.status, 200, effective.text);
}
