import { h, show } from '@attest/task-form/dom';
import { language, t, type MessageKey } from '@attest/task-form/i18n';
import { request } from '../../api.ts';
import { problemText } from '../admin/common.ts';
import { statusBadge, versionHref } from '../admin/templates.ts';
import { autosave, openDraft, type DraftState, type SaveStatus } from './draft.ts';
import { onAsync } from '../../events.ts';

type Modules = typeof import('./modules.ts');
type Tab = 'process' | 'forms' | 'manifest' | 'submit';
const TABS: [Tab, MessageKey][] = [
  ['process', 'designer.tab.process'],
  ['forms', 'designer.tab.forms'],
  ['manifest', 'designer.tab.manifest'],
  ['submit', 'designer.tab.submit'],
];
const FORM_KEY = /^[a-z][a-z0-9-]{0,59}$/;

/** What tears down the workspace on screen when the page changes: the modeler and the builder. */
let leave: (() => void) | null = null;
addEventListener('hashchange', () => {
  leave?.();
  leave = null;
});

const formKeys = (draft: DraftState) =>
  Object.keys(draft.files)
    .filter((p) => /^forms\/[^/]+\.json$/.test(p))
    .map((p) => p.slice('forms/'.length, -'.json'.length))
    .sort();

function parsed(text: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * A template draft in the designer: its process in the modeler, its forms in the builder, its
 * manifest, saved as it is worked on (autosave, refused when someone else saved in between), the
 * server's check of the whole package, and submission for review.
 */
export async function workspaceView(container: HTMLElement, param: string): Promise<void> {
  leave?.();
  const [templateId = '', version = ''] = param.split('/').map(decodeURIComponent);
  const draft = await openDraft(templateId, version);
  const modules: Modules = await import('./modules.ts');
  if (draft.status !== 'draft') {
    show(
      container,
      h('h1', {}, `${templateId} ${version}`),
      h('p', { class: 'message error' }, t('designer.notDraft')),
      h('a', { href: versionHref({ templateId, version }) }, t('designer.toVersion')),
    );
    return;
  }

  const status = h('p', { id: 'save-status', class: 'save-status', role: 'status', 'aria-live': 'polite' });
  const conflict = h('div', { id: 'save-conflict', class: 'message error', role: 'alert', hidden: true });
  const saver = autosave(draft, (s, d) => showStatus(s, d));
  const body = h('div', { class: 'designer-body' });
  const tabs = h('nav', { class: 'designer-tabs', 'aria-label': t('designer.tabs') });
  const views = new Map<Tab, HTMLElement>();
  const teardown: (() => void)[] = [() => saver.stop()];
  leave = () => teardown.forEach((f) => f());

  function showStatus(s: SaveStatus, d: DraftState): void {
    status.dataset.state = s.kind;
    status.textContent =
      s.kind === 'saving'
        ? t('designer.saving')
        : s.kind === 'dirty'
          ? t('designer.unsaved')
          : s.kind === 'saved'
            ? d.compiles
              ? t('designer.savedCompiles')
              : t('designer.savedProblems', { count: d.problems.length })
            : s.kind === 'failed'
              ? t('designer.saveFailed', { detail: s.message })
              : t('designer.conflict');
    if (s.kind === 'conflict') {
      const reload = h('button', { type: 'button', id: 'reload-draft' }, t('designer.reload'));
      reload.addEventListener('click', () => void workspaceView(container, param));
      conflict.replaceChildren(h('p', {}, s.message), reload);
      conflict.hidden = false;
    }
    drawSubmit();
  }

  async function select(tab: Tab): Promise<void> {
    for (const a of tabs.querySelectorAll('button')) a.classList.toggle('active', a.dataset.tab === tab);
    for (const [name, view] of views) view.hidden = name !== tab;
    if (!views.has(tab)) {
      const view = h('section', { class: `designer-view designer-${tab}`, 'data-view': tab });
      views.set(tab, view);
      body.append(view);
      if (tab === 'process') await mountModeler(view);
      if (tab === 'forms') await mountForms(view);
      if (tab === 'manifest') mountManifest(view);
      if (tab === 'submit') drawSubmit();
    }
  }
  for (const [tab, label] of TABS) {
    const button = h('button', { type: 'button', 'data-tab': tab }, t(label));
    button.addEventListener('click', () => void select(tab));
    tabs.append(button);
  }

  async function mountModeler(view: HTMLElement): Promise<void> {
    const canvas = h('div', { class: 'designer-canvas', id: 'modeler' });
    const properties = h('div', { class: 'designer-properties attest-properties', id: 'properties' });
    const problems = h('div', { class: 'designer-problems', id: 'model-problems' });
    view.append(h('div', { class: 'designer-modeler' }, canvas, properties), problems);
    const templates = (
      await request<{ templates: { templateId: string; title: string; status: string }[] }>(
        'GET',
        '/api/templates',
      )
    ).templates.filter((v) => v.status === 'effective');
    const modeler = modules.createWorkflowModeler(canvas, {
      propertiesParent: properties,
      problemsParent: problems,
      forms: () =>
        formKeys(draft).map((key) => ({
          key,
          version: 1,
          title: String(parsed(draft.files[`forms/${key}.json`]).title ?? key),
        })),
      templates: () => templates.map((v) => ({ id: v.templateId, title: v.title })),
      roles: () => {
        const roles = parsed(draft.files['manifest.json']).roles;
        return Array.isArray(roles) ? roles.map(String) : [];
      },
      check: async (xml) => {
        const forms = Object.fromEntries(
          formKeys(draft).map((key) => [key, parsed(draft.files[`forms/${key}.json`])]),
        );
        const answer = await request<{ problems: Parameters<typeof modeler.showProblems>[0] }>(
          'POST',
          '/api/designer/process-check',
          { xml, forms },
        );
        return answer.problems;
      },
    });
    teardown.push(() => modeler.destroy());
    await modeler.importXml(draft.files['process.bpmn'] ?? '');
    modeler.on('changed', () => {
      void modeler.exportXml().then((xml) => saver.changed('process.bpmn', xml));
    });
  }

  async function mountForms(view: HTMLElement): Promise<void> {
    const picker = h('select', { id: 'form-picker' });
    // The title the step and the modeler's form picker show; the builder edits the components.
    const title = h('input', {
      type: 'text',
      id: 'form-title',
      maxlength: '200',
    });
    const key = h('input', {
      type: 'text',
      id: 'new-form-key',
      maxlength: '60',
    });
    const add = h('button', { type: 'button', id: 'add-form' }, t('designer.addForm'));
    const keyError = h('small', { class: 'field-error', hidden: true });
    const host = h('div', { class: 'designer-builder', id: 'form-builder' });
    const labelled = (text: string, control: HTMLElement) =>
      h('label', { class: 'designer-bar-field' }, h('span', {}, text), control);
    view.append(
      h(
        'div',
        { class: 'filters designer-form-bar' },
        labelled(t('designer.form'), picker),
        labelled(t('designer.formTitle'), title),
        labelled(t('designer.formKey'), key),
        add,
      ),
      keyError,
      host,
    );
    const titleOf = (k: string) => {
      const value = parsed(draft.files[`forms/${k}.json`]).title;
      return typeof value === 'string' ? value : '';
    };
    title.addEventListener('input', () => {
      if (!current) return;
      const file = `forms/${current}.json`;
      saver.changed(
        file,
        `${JSON.stringify({ ...parsed(draft.files[file]), title: title.value }, null, 2)}\n`,
      );
    });
    let builder: Awaited<ReturnType<Modules['createFormBuilder']>> | null = null;
    let current: string | null = null;
    const list = () =>
      picker.replaceChildren(
        ...formKeys(draft).map((k) => h('option', { value: k, selected: k === current }, k)),
      );
    const open = async (k: string) => {
      current = k;
      list();
      title.value = titleOf(k);
      const definition = parsed(draft.files[`forms/${k}.json`]);
      if (!builder) {
        builder = await modules.createFormBuilder(host, {
          definition,
          language: language(),
          check: (d) => request('POST', '/api/designer/form-check', { definition: d }),
          preview: (d, data, na) =>
            request('POST', '/api/designer/form-preview', {
              definition: d,
              data,
              ...(na && Object.keys(na).length > 0 && { na }),
            }),
        });
        builder.on('changed', (d) => {
          // The title is kept as typed beside the builder, whatever the builder holds
          if (current)
            saver.changed(
              `forms/${current}.json`,
              `${JSON.stringify({ ...d, title: titleOf(current) }, null, 2)}\n`,
            );
        });
        teardown.push(() => builder?.destroy());
      } else await builder.setDefinition(definition);
    };
    picker.addEventListener('change', () => void open(picker.value));
    add.addEventListener('click', () => {
      const k = key.value.trim();
      const taken = formKeys(draft).includes(k);
      keyError.hidden = FORM_KEY.test(k) && !taken;
      keyError.textContent = taken ? t('designer.formTaken') : t('designer.formKeyHint');
      if (!keyError.hidden) return;
      const title = k;
      saver.changed(
        `forms/${k}.json`,
        `${JSON.stringify({ title, display: 'form', components: [] }, null, 2)}\n`,
      );
      key.value = '';
      void open(k);
    });
    const first = formKeys(draft)[0];
    if (first) await open(first);
    else list();
  }

  function mountManifest(view: HTMLElement): void {
    const manifest = parsed(draft.files['manifest.json']);
    const fields: [string, MessageKey, 'text' | 'textarea' | 'list'][] = [
      ['title', 'designer.templateTitle', 'text'],
      ['description', 'designer.description', 'textarea'],
      ['changeReason', 'designer.changeReason', 'textarea'],
      ['numbering', 'designer.numbering', 'text'],
      ['roles', 'designer.roles', 'list'],
      ['retention', 'designer.retention', 'text'],
      ['recordDue', 'designer.recordDue', 'text'],
    ];
    const form = h('form', { class: 'card designer-manifest', novalidate: true });
    for (const [name, label, kind] of fields) {
      const value = manifest[name];
      const input =
        kind === 'textarea'
          ? h('textarea', { rows: '3', id: `manifest-${name}` })
          : h('input', { type: 'text', id: `manifest-${name}` });
      input.value = Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
      input.addEventListener('input', () => {
        const next = parsed(draft.files['manifest.json']);
        const text = input.value.trim();
        if (kind === 'list')
          next[name] = text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
        else if (text === '' && name === 'recordDue') delete next[name];
        else next[name] = input.value;
        saver.changed('manifest.json', `${JSON.stringify(next, null, 2)}\n`);
      });
      form.append(h('div', { class: 'field' }, h('label', { for: input.id }, t(label)), input));
    }
    view.append(form);
  }

  function drawSubmit(): void {
    const view = views.get('submit');
    if (!view) return;
    const submit = h(
      'button',
      { type: 'button', class: 'primary', id: 'submit-draft' },
      t('designer.submit'),
    );
    const failure = h('p', { class: 'message error', role: 'alert', hidden: true });
    submit.disabled = !draft.compiles || status.dataset.state === 'conflict';
    onAsync(submit, 'click', async () => {
      submit.disabled = true;
      failure.hidden = true;
      try {
        await saver.flush();
        if (!draft.compiles) throw new Error(t('designer.fixFirst'));
        const base = `/api/templates/${encodeURIComponent(templateId)}/versions/${encodeURIComponent(version)}`;
        await request('POST', `${base}/submit`);
        location.hash = versionHref({ templateId, version });
      } catch (error) {
        failure.textContent = problemText(error);
        failure.hidden = false;
        submit.disabled = false;
      }
    });
    view.replaceChildren(
      h('h2', {}, t('designer.check')),
      draft.problems.length === 0
        ? h(
            'p',
            { class: draft.compiles ? 'message success' : 'empty', id: 'package-ok' },
            draft.compiles ? t('designer.compilesLong') : t('designer.notChecked'),
          )
        : h(
            'ul',
            { class: 'exceptions', id: 'package-problems' },
            ...draft.problems.map((p) =>
              h('li', { class: 'exception severity-high' }, h('code', {}, p.pointer || '/'), ` ${p.message}`),
            ),
          ),
      h('p', { class: 'hint' }, t('designer.submitHint')),
      failure,
      submit,
    );
  }

  show(
    container,
    h(
      'div',
      { class: 'record-head' },
      h(
        'h1',
        {},
        `${String(parsed(draft.files['manifest.json']).title ?? templateId)} ${version}`,
        ' ',
        statusBadge(draft.status),
      ),
      status,
    ),
    conflict,
    tabs,
    body,
  );
  showStatus({ kind: 'saved' }, draft);
  status.textContent = draft.compiles ? t('designer.savedCompiles') : t('designer.openedProblems');
  try {
    await select('process');
  } catch (error) {
    body.append(h('p', { class: 'message error', role: 'alert' }, problemText(error)));
  }
}
