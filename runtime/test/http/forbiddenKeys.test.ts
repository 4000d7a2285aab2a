import assert from 'node:assert/strict';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { TEMPLATE_ID, testForm, testPackage } from './support/templatePackage.ts';

/** Keys that reach an object's prototype when assigned; none may be stored anywhere. */
const FORBIDDEN = ['__proto__', 'constructor', 'prototype'];

const formWithKey = (key: string) => ({
  components: [
    { type: 'textfield', key: 'what', label: 'What happened', input: true },
    { type: 'textfield', key, label: 'Sneaky', input: true },
  ],
});

describe('Feature: names that reach prototypes are refused with nothing stored', () => {
  let api: TestApi;
  let quinn: string;
  let olivia: string;

  before(async () => {
    api = await startTestApi();
    quinn = await api.login('quinn');
    olivia = await api.login('olivia');
  });
  after(() => api.close());

  it('refuses a form component keyed __proto__, constructor or prototype (400), stores nothing, and forms still read', async () => {
    for (const key of FORBIDDEN) {
      const refused = await api.request('POST', '/api/forms', {
        token: quinn,
        body: { key: `sneaky-${key.replaceAll('_', '')}`, definition: formWithKey(key) },
      });
      const problem = assertProblem(refused, 400, 'input');
      assert.match(JSON.stringify(problem.errors), new RegExp(`the key cannot be ${key}`));
    }
    const listed = await api.request('GET', '/api/forms', { token: olivia });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.body.forms, []);
    const good = await api.request('POST', '/api/forms', {
      token: quinn,
      body: { key: 'good', definition: formWithKey('fine') },
    });
    assert.equal(good.status, 201, good.text);
    assert.equal((await api.request('GET', '/api/forms/good', { token: olivia })).status, 200);
  });

  it('refuses forbidden keys at any depth of a JSON body: form definitions, form data, value paths, variables', async () => {
    const nested = `{"key":"nested","definition":{"components":[{"type":"textfield","key":"a","label":"A","input":true,"attest":{"__proto__":{"polluted":true}}}]}}`;
    const rawForm = `{"key":"nested","definition":{"components":[{"type":"textfield","key":"a","label":"A","input":true,"properties":{"constructor":{"prototype":{"polluted":true}}}}]}}`;
    for (const raw of [nested, rawForm]) {
      const refused = await api.request('POST', '/api/forms', { token: quinn, raw });
      assertProblem(refused, 400, 'input');
    }
    const preview = await api.request('POST', '/api/designer/form-preview', {
      token: quinn,
      raw: `{"definition":${JSON.stringify(formWithKey('fine'))},"data":{"fine":{"__proto__":{"isAdmin":true}}},"variables":{}}`,
    });
    const problem = assertProblem(preview, 400, 'input');
    assert.deepEqual(
      problem.errors?.map((e: { pointer: string }) => e.pointer),
      ['/data/fine/__proto__'],
    );
    const started = await api.request('POST', '/api/records', {
      token: olivia,
      raw: '{"template":"deviation","title":"Spill","variables":{"prototype":{"x":1}}}',
    });
    assertProblem(started, 400, 'input');
    const task = '00000000-0000-4000-8000-00000000beef';
    for (const body of [
      { data: {}, sources: { '/__proto__/isAdmin': { source: 'manual' } } },
      { data: {}, na: { '/items/0/constructor': 'Not used' } },
    ]) {
      const saved = await api.request('PUT', `/api/tasks/${task}/values`, { token: olivia, body });
      assertProblem(saved, 400, 'input');
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const forms = (await api.request('GET', '/api/forms', { token: olivia })).body.forms;
    assert.deepEqual(
      forms.map((f: { key: string }) => f.key),
      ['good'],
    );
  });

  it('keeps a draft whose form names a field constructor only with that problem, and refuses one whose JSON holds a forbidden key', async () => {
    const files = testPackage('1.0.0', { form: formWithKey('constructor') });
    const byKey = await api.request('PUT', `/api/templates/${TEMPLATE_ID}/versions/1.0.0/draft`, {
      token: quinn,
      body: { files, baseHash: null },
    });
    // A draft is kept while it does not check: the form's key is among its problems, never a stored form.
    assert.equal(byKey.status, 201, byKey.text);
    assert.equal(byKey.body.compiles, false);
    assert.match(JSON.stringify(byKey.body.problems), /the key cannot be constructor/);

    const polluted = testPackage('2.0.0', { form: testForm() });
    polluted['forms/report.json'] = polluted['forms/report.json']!.replace(
      '"display": "form",',
      '"display": "form", "__proto__": { "components": [] },',
    );
    const refused = await api.request('PUT', `/api/templates/${TEMPLATE_ID}/versions/2.0.0/draft`, {
      token: quinn,
      body: { files: polluted, baseHash: null },
    });
    const problem = assertProblem(refused, 400, 'input');
    assert.match(JSON.stringify(problem.errors), /forms\/report\.json uses a forbidden name/);
    const missing = await api.request('GET', `/api/templates/${TEMPLATE_ID}/versions/2.0.0/draft/files`, {
      token: quinn,
    });
    assert.equal(missing.status, 404);
  });
});
