import assert from 'node:assert/strict';
import { createColleague } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import {
  TEMPLATE_ID,
  temperatureField,
  testForm,
  testPackage,
  testProcess,
} from './support/templatePackage.ts';

/** A model with an element the engine does not execute and a condition that is not FEEL. */
const BROKEN_MODEL = testProcess()
  .replace(
    '<sequenceFlow id="f2" sourceRef="report" targetRef="review" />',
    `<sequenceFlow id="f2" sourceRef="report" targetRef="decide" />
    <exclusiveGateway id="decide" default="f5" />
    <sequenceFlow id="f4" sourceRef="decide" targetRef="review">
      <conditionExpression xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="tFormalExpression">temperature &gt;</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f5" sourceRef="decide" targetRef="review" />`,
  )
  .replace(
    '<endEvent id="end" />',
    '<endEvent id="end" />\n    <complexGateway id="pick" name="Pick one" />',
  );

/** A measured value with alert and action limits, and a count that must be 1 to 10. */
const measuredForm = {
  components: [
    temperatureField(),
    {
      type: 'number',
      key: 'count',
      label: 'Count',
      input: true,
      validate: { required: true, min: 1, max: 10 },
    },
  ],
};

describe('Feature: the designer’s questions and drafts over HTTP', () => {
  let api: TestApi;
  let quinn: string;
  let quentin: string;
  let olivia: string;
  const post = (path: string, token: string, body: unknown) =>
    api.request('POST', `/api/designer/${path}`, { token, body });
  const draftPath = (version: string, action = '/draft') =>
    `/api/templates/${TEMPLATE_ID}/versions/${version}${action}`;
  const saveDraft = (
    token: string,
    version: string,
    files: Record<string, string>,
    baseHash: string | null,
  ) => api.request('PUT', draftPath(version), { token, body: { files, baseHash } });

  before(async () => {
    api = await startTestApi();
    quinn = await api.login('quinn');
    olivia = await api.login('olivia');
    const colleague = await createColleague(api.ctx, 'quentin', ['qa']);
    quentin = await api.login('quentin', colleague.password);
  });
  after(() => api.close());

  describe('checks that store nothing', () => {
    it('D1: a process check names an unsupported element and an invalid FEEL condition by element id (200)', async () => {
      const response = await post('process-check', quinn, {
        xml: BROKEN_MODEL,
        forms: { report: testForm() },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.ok, false);
      const at = (id: string) =>
        response.body.problems.find((p: { elementId: string }) => p.elementId === id);
      assert.deepEqual(
        [at('pick').elementType, at('pick').name, at('pick').keyword],
        ['bpmn:ComplexGateway', 'Pick one', 'unsupported'],
      );
      assert.deepEqual([at('f4').elementType, at('f4').keyword], ['bpmn:SequenceFlow', 'feel']);
      assert.match(at('f4').problem, /is not valid FEEL/);

      const fine = await post('process-check', quinn, { xml: testProcess(), forms: { report: testForm() } });
      assert.deepEqual(fine.body, { ok: true, problems: [] });
      const missingForm = await post('process-check', quinn, { xml: testProcess(), forms: {} });
      assert.deepEqual(
        missingForm.body.problems.map((p: { elementId: string; keyword: string }) => [
          p.elementId,
          p.keyword,
        ]),
        [['report', 'reference']],
      );
      const notXml = await post('process-check', quinn, { xml: 'not a model' });
      assert.deepEqual([notXml.body.problems.length, notXml.body.problems[0].elementId], [1, null]);
    });

    it('E4: a form check names a component with custom JavaScript validation, and lists what a valid form enforces', async () => {
      const scripted = await post('form-check', quinn, {
        definition: {
          components: [{ type: 'textfield', key: 'lot', label: 'Lot', validate: { custom: 'valid = true' } }],
        },
      });
      assert.equal(scripted.status, 200, scripted.text);
      assert.deepEqual(scripted.body, {
        ok: false,
        problems: [
          {
            pointer: '/components/0',
            keyword: 'unsupported',
            message: 'Component "lot": custom JavaScript validation is not supported',
          },
        ],
        fields: [],
      });
      const checked = await post('form-check', quinn, { definition: measuredForm });
      assert.equal(checked.body.ok, true);
      assert.deepEqual(checked.body.fields[0], {
        key: 'temperature',
        pointer: '/temperature',
        label: 'Temperature',
        type: 'measuredValue',
        unit: '°C',
        required: false,
        critical: false,
        calculate: null,
        limits: {
          alert: { min: '18', max: '25' },
          action: { min: '15', max: '30' },
          reject: false,
          comment: false,
        },
      });
    });

    it('F4: a form preview refuses an out-of-range required value at its pointer and raises a limit exception', async () => {
      const preview = await post('form-preview', quinn, {
        definition: measuredForm,
        data: { temperature: 31.2, count: 12 },
      });
      assert.equal(preview.status, 200, preview.text);
      assert.equal(preview.body.ok, false);
      assert.deepEqual(
        preview.body.errors.map((e: { pointer: string; keyword: string }) => [e.pointer, e.keyword]),
        [['/count', 'maximum']],
      );
      assert.deepEqual(preview.body.exceptions, [
        {
          pointer: '/temperature',
          type: 'limit_breach',
          severity: 'high',
          blocking: true,
          message: 'Temperature (°C) 31.2 is above the action limit 30.0',
          commentRequired: false,
        },
      ]);
      const fine = await post('form-preview', quinn, {
        definition: measuredForm,
        data: { temperature: 20, count: 3 },
      });
      assert.deepEqual(fine.body, {
        ok: true,
        errors: [],
        exceptions: [],
        data: { temperature: 20, count: 3 },
      });
      const broken = await post('form-preview', quinn, { definition: { components: [{}] }, data: {} });
      assertProblem(broken, 400, 'input');
    });

    it('A2: an operator may not use the designer (403)', async () => {
      assertProblem(await post('process-check', olivia, { xml: testProcess() }), 403, 'not-allowed');
      assertProblem(await post('form-check', olivia, { definition: measuredForm }), 403, 'not-allowed');
      assertProblem(
        await post('form-preview', olivia, { definition: measuredForm, data: {} }),
        403,
        'not-allowed',
      );
      assertProblem(await saveDraft(olivia, '9.0.0', testPackage('9.0.0'), null), 403, 'not-allowed');
    });
  });

  describe('drafts', () => {
    it('D1: a draft is saved, saved again on its hash, and refused to a save on a stale hash naming who saved (409)', async () => {
      const first = await saveDraft(quinn, '1.0.0', testPackage(), null);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers.get('location'), draftPath('1.0.0', ''));
      assert.deepEqual(
        [first.body.status, first.body.created, first.body.revised, first.body.compiles, first.body.problems],
        ['draft', true, false, true, []],
      );
      const second = await saveDraft(
        quinn,
        '1.0.0',
        testPackage('1.0.0', { readme: '# Second\n' }),
        first.body.contentHash,
      );
      assert.equal(second.status, 200, second.text);
      assert.deepEqual([second.body.revised, second.body.id], [true, first.body.id]);

      const theirs = await saveDraft(
        quentin,
        '1.0.0',
        testPackage('1.0.0', { readme: '# Theirs\n' }),
        second.body.contentHash,
      );
      assert.equal(theirs.status, 200, theirs.text);
      const stale = await saveDraft(
        quinn,
        '1.0.0',
        testPackage('1.0.0', { readme: '# Mine\n' }),
        second.body.contentHash,
      );
      const problem = assertProblem(stale, 409, 'conflict');
      assert.match(
        problem.detail,
        /^tst 1\.0\.0 was changed by Test quentin at \d{4}-\d\d-\d\dT[\d:.]+Z; reload to see their changes$/,
      );

      // Reloading gives their files and the hash to save on.
      const reloaded = await api.request('GET', draftPath('1.0.0', '/files'), { token: quinn });
      assert.equal(reloaded.status, 200, reloaded.text);
      assert.deepEqual(
        [reloaded.body.status, reloaded.body.contentHash, reloaded.body.files['README.md']],
        ['draft', theirs.body.contentHash, '# Theirs\n'],
      );
      assert.deepEqual(Object.keys(reloaded.body.files).sort(), Object.keys(testPackage()).sort());
      const merged = await saveDraft(
        quinn,
        '1.0.0',
        { ...reloaded.body.files, 'README.md': '# Theirs and mine\n' },
        reloaded.body.contentHash,
      );
      assert.equal(merged.status, 200, merged.text);

      const history = await api.request('GET', draftPath('1.0.0', '/history'), { token: quinn });
      assert.deepEqual(
        history.body.events.map((e: { type: string; actorName: string }) => `${e.type}:${e.actorName}`),
        [
          'template.imported:Quinn Quaye',
          'template.revised:Quinn Quaye',
          'template.revised:Test quentin',
          'template.revised:Quinn Quaye',
        ],
      );
    });

    it('D1: a draft that does not compile is saved with its problems, its submission refused until it is fixed', async () => {
      const broken = testPackage('2.0.0', { process: BROKEN_MODEL });
      const saved = await saveDraft(quinn, '2.0.0', broken, null);
      assert.equal(saved.status, 201, saved.text);
      assert.equal(saved.body.compiles, false);
      const pointers = saved.body.problems.map((p: { pointer: string }) => p.pointer);
      assert.ok(pointers.includes('/process/elements/pick'), saved.text);
      assert.ok(pointers.includes('/process/elements/f4'), saved.text);
      const listed = await api.request('GET', `/api/templates?templateId=${TEMPLATE_ID}`, { token: quinn });
      assert.deepEqual(
        listed.body.templates.map((t: { version: string; compiles: boolean }) => [t.version, t.compiles]),
        [
          ['1.0.0', true],
          ['2.0.0', false],
        ],
      );

      const submit = await api.request('POST', draftPath('2.0.0', '/submit'), { token: quinn });
      const refused = assertProblem(submit, 400, 'input');
      assert.match(refused.detail, /^tst 2\.0\.0 cannot be submitted for review: /);
      assert.deepEqual(
        refused.errors!.map((e) => e.pointer),
        pointers,
      );

      const fixed = await saveDraft(quinn, '2.0.0', testPackage('2.0.0'), saved.body.contentHash);
      assert.deepEqual([fixed.status, fixed.body.compiles, fixed.body.problems], [200, true, []]);
      const submitted = await api.request('POST', draftPath('2.0.0', '/submit'), { token: quinn });
      assert.deepEqual([submitted.status, submitted.body.status], [200, 'in_review']);
      const late = await saveDraft(quinn, '2.0.0', broken, fixed.body.contentHash);
      assert.match(
        assertProblem(late, 409, 'conflict').detail,
        /is in review: a released version never changes/,
      );
    });

    it('D1: import still refuses what does not compile; a draft of another version than its path is refused (400)', async () => {
      const imported = await api.request('POST', '/api/templates', {
        token: quinn,
        body: { files: testPackage('3.0.0', { process: BROKEN_MODEL }) },
      });
      assertProblem(imported, 400, 'input');
      const elsewhere = await saveDraft(quinn, '3.0.1', testPackage('3.0.0'), null);
      assert.deepEqual(
        assertProblem(elsewhere, 400, 'input').errors!.map((e) => e.pointer),
        ['/manifest/version'],
      );
    });
  });
});
