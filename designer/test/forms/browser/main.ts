import '@formio/js/dist/formio.form.min.css';
import 'flatpickr/dist/flatpickr.min.css';
import '../../../../runtime/web/src/styles.css';
import '@attest/task-form/taskForm.css';
import '../../../src/forms/formBuilder.css';
import { createFormBuilder, type FormDefinition } from '../../../src/forms/index.ts';

/**
 * The form builder alone on a page, as the template workspace will mount it, its server calls going
 * to the test's server (the engine's compiler and submission pipeline). The test drives it through
 * `window.attest`.
 */
const params = new URLSearchParams(location.search);
const language = params.get('language') === 'zh-CN' ? 'zh-CN' : 'en';
document.documentElement.lang = language;

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
};

const form = params.get('form');
const definition = form ? ((await (await fetch(`/forms/${form}`)).json()) as object) : undefined;
const changes: FormDefinition[] = [];
const checks: FormDefinition[] = [];
const builder = await createFormBuilder(document.getElementById('builder')!, {
  definition,
  language,
  check: (d) => {
    checks.push(d);
    return post('/api/check', { definition: d });
  },
  preview: (d, data, na) => post('/api/preview', { definition: d, data, na }),
});
builder.on('changed', (d) => changes.push(d));
if (params.has('preview')) builder.showPreview(document.getElementById('preview')!);
Object.assign(globalThis, { attest: { builder, changes, checks, ready: true } });
