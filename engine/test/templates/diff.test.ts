import assert from 'node:assert/strict';
import { InputError } from '../../src/kernel/errors.ts';
import { diffPackages } from '../../src/templates/diff.ts';
import type { TemplatePackage } from '../../src/templates/package.ts';
import { fixturePackage, PROCESS, reportForm } from './fixturePackage.ts';

/** The fixture with its report form's components changed. */
function withReport(pkg: TemplatePackage, change: (components: Record<string, unknown>[]) => void) {
  const definition = reportForm();
  change(definition.components as Record<string, unknown>[]);
  return { ...pkg, forms: pkg.forms.map((f) => (f.key === 'report' ? { key: 'report', definition } : f)) };
}

describe('Feature: what changed between two versions of a template', () => {
  describe('Scenario: nothing changed', () => {
    it('Given the same package twice, when they are compared, then they are identical', async () => {
      const diff = await diffPackages(fixturePackage(), fixturePackage());
      assert.deepEqual(diff, {
        manifest: [],
        process: { added: [], removed: [], changed: [] },
        forms: { added: [], removed: [], changed: [] },
        readme: false,
        identical: true,
      });
    });

    it('Given the same process laid out and formatted differently, then it is no change', async () => {
      const next = fixturePackage();
      next.process = PROCESS.replace('<startEvent id="start" />', '<startEvent id="start"></startEvent>');
      next.process = next.process.replaceAll('\n    ', '\n      ');
      assert.equal((await diffPackages(fixturePackage(), next)).identical, true);
    });
  });

  describe('Scenario: the manifest changed', () => {
    it('Given a new version, title, role and due time, then each value is listed by pointer', async () => {
      const next = fixturePackage();
      const manifest = { ...next.manifest };
      delete manifest.recordDue;
      next.manifest = {
        ...manifest,
        version: '1.1.0',
        title: 'Deviation report',
        roles: ['author', 'qa_reviewer', 'qa_approver'],
        parameters: { ...manifest.parameters, escalateAfterDays: 7 },
        changeReason: 'QA approves major deviations.',
      };
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.manifest, [
        { path: '/changeReason', old: 'First version.', new: 'QA approves major deviations.' },
        { path: '/parameters/escalateAfterDays', old: 5, new: 7 },
        { path: '/recordDue', old: 'P30D', new: null },
        {
          path: '/roles',
          old: ['author', 'qa_reviewer'],
          new: ['author', 'qa_reviewer', 'qa_approver'],
        },
        { path: '/title', old: 'Deviation', new: 'Deviation report' },
        { path: '/version', old: '1.0.0', new: '1.1.0' },
      ]);
      assert.equal(diff.identical, false);
    });

    it('Given only the README changed, then the packages are not identical', async () => {
      const next = { ...fixturePackage(), readme: '# Deviation\n\nRead SOP-QA-001 first.\n' };
      const diff = await diffPackages(fixturePackage(), next);
      assert.equal(diff.readme, true);
      assert.equal(diff.identical, false);
    });
  });

  describe('Scenario: the process changed', () => {
    it('Given an added user task and a changed condition, then the task and flow are added and the flows changed', async () => {
      const next = fixturePackage();
      next.process = PROCESS.replace('severity = "minor"', 'severity = "minor" or severity = "low"')
        .replace(
          '<sequenceFlow id="f4" sourceRef="severity" targetRef="closedMajor" />',
          `<sequenceFlow id="f4" sourceRef="severity" targetRef="approve" />
    <userTask id="approve" name="Approve the assessment" attest:candidateRoles="qa_approver"
              attest:qualifications="SOP-QA-002" attest:signatureMeaning="Approved" />
    <sequenceFlow id="f5" sourceRef="approve" targetRef="closedMajor" />`,
        )
        .replace(
          'name="Report the deviation"',
          'name="Report the deviation" attest:signatureMeaning="Performed"',
        );
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.process.added, [
        { id: 'approve', kind: 'userTask', name: 'Approve the assessment', process: 'deviation' },
        { id: 'f5', kind: 'sequenceFlow', name: null, process: 'deviation' },
      ]);
      assert.deepEqual(diff.process.removed, []);
      assert.deepEqual(diff.process.changed, [
        {
          id: 'f3',
          name: null,
          changes: [
            { path: '/condition', old: 'severity = "minor"', new: 'severity = "minor" or severity = "low"' },
          ],
        },
        { id: 'f4', name: null, changes: [{ path: '/target', old: 'closedMajor', new: 'approve' }] },
        {
          id: 'report',
          name: 'Report the deviation',
          changes: [{ path: '/userTask/signatureMeaning', old: null, new: 'Performed' }],
        },
      ]);
      assert.equal(diff.identical, false);
    });

    it('Given a removed end event, then it is listed as removed', async () => {
      const next = fixturePackage();
      next.process = PROCESS.replace('targetRef="closedMinor"', 'targetRef="closedMajor"').replace(
        '<endEvent id="closedMinor" />',
        '',
      );
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.process.removed, [
        { id: 'closedMinor', kind: 'endEvent', name: null, process: 'deviation' },
      ]);
    });

    it('Given a process that does not compile, then the comparison is refused under /process', async () => {
      const next = { ...fixturePackage(), process: '<definitions' };
      const error = await diffPackages(fixturePackage(), next).then(
        () => assert.fail('compared'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^The new package's process cannot be compared: /);
      assert.ok(error.errors.every((e) => e.pointer.startsWith('/process/')));
    });
  });

  describe('Scenario: a form changed', () => {
    it('Given a field added, one removed, a label and a limit changed, then each is listed by pointer', async () => {
      const next = withReport(fixturePackage(), (components) => {
        components[0]!.label = 'Short title';
        (components[1]!.attest as { limits: { action: { max: number } } }).limits.action.max = 10;
        components.splice(2, 1, { type: 'textfield', key: 'lot', label: 'Lot' });
      });
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.forms.added, []);
      assert.deepEqual(diff.forms.removed, []);
      assert.equal(diff.forms.changed.length, 1);
      const [report] = diff.forms.changed;
      assert.equal(report!.key, 'report');
      assert.deepEqual(report!.fields.added, [
        { key: 'lot', pointer: '/lot', label: 'Lot', type: 'textfield' },
      ]);
      assert.deepEqual(report!.fields.removed, [
        { key: 'notes', pointer: '/notes', label: 'Notes', type: 'textarea' },
      ]);
      assert.deepEqual(report!.fields.changed, [
        {
          key: 'temperature',
          pointer: '/temperature',
          label: 'Temperature',
          changes: [{ path: '/limits/action/max', old: 8, new: 10 }],
        },
        {
          key: 'title',
          pointer: '/title',
          label: 'Short title',
          changes: [{ path: '/label', old: 'Title', new: 'Short title' }],
        },
      ]);
      assert.equal(diff.identical, false);
    });

    it('Given a form added and one removed, then they are listed by key', async () => {
      const next = fixturePackage();
      next.forms = [next.forms[1]!, { key: 'assessment', definition: next.forms[0]!.definition }];
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.forms, { added: ['assessment'], removed: ['closure'], changed: [] });
    });

    it('Given only the form title changed, then the form is changed with no field changes', async () => {
      const next = fixturePackage();
      next.forms[1] = { key: 'report', definition: { ...reportForm(), title: 'Report a deviation' } };
      const diff = await diffPackages(fixturePackage(), next);
      assert.deepEqual(diff.forms.changed, [
        { key: 'report', fields: { added: [], removed: [], changed: [] } },
      ]);
      assert.equal(diff.identical, false);
    });
  });
});
