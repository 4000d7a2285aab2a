import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request } from '../../api.ts';
import { compareVersions, statusBadge, type TemplateVersion } from '../admin/templates.ts';
import { fieldRow, problemText, showAtFields } from '../admin/common.ts';
import { onAsync } from '../../events.ts';

const TEMPLATE_ID = /^[a-z][a-z0-9-]{1,39}$/;

/** The next minor version after the highest one a template has. */
export function nextVersion(versions: string[]): string {
  const [major, minor] = ([...versions].sort(compareVersions).at(-1) ?? '0.9.0').split('.').map(Number);
  return `${major}.${(minor ?? 0) + 1}.0`;
}

const manifestFile = (manifest: Record<string, unknown>) => `${JSON.stringify(manifest, null, 2)}\n`;

/**
 * The designer's start: the drafts QA is working on, a new version of a template that exists, or
 * a new template from a blank process.
 */
export async function designerHome(container: HTMLElement): Promise<void> {
  const { templates: versions } = await request<{ templates: TemplateVersion[] }>('GET', '/api/templates');
  const byTemplate = new Map<string, TemplateVersion[]>();
  for (const v of versions) byTemplate.set(v.templateId, [...(byTemplate.get(v.templateId) ?? []), v]);
  const failure = h('p', { class: 'message error', role: 'alert', hidden: true });
  const fail = (error: unknown) => {
    failure.textContent = problemText(error);
    failure.hidden = false;
  };

  const drafts = versions.filter((v) => v.status === 'draft');
  const rows = [...byTemplate.entries()].map(([id, list]) => {
    const latest = [...list].sort((a, b) => compareVersions(a.version, b.version)).at(-1)!;
    const next = nextVersion(list.map((v) => v.version));
    const revise = h(
      'button',
      { type: 'button', 'data-template': id },
      t('designer.newVersion', { version: next }),
    );
    revise.hidden = list.some((v) => v.status === 'draft' || v.status === 'in_review');
    onAsync(revise, 'click', async () => {
      revise.disabled = true;
      try {
        const base = `/api/templates/${encodeURIComponent(id)}/versions/${encodeURIComponent(latest.version)}`;
        const { files } = await request<{ files: Record<string, string> }>('GET', `${base}/files`);
        const manifest = JSON.parse(files['manifest.json']!) as Record<string, unknown>;
        files['manifest.json'] = manifestFile({
          ...manifest,
          version: next,
          changeReason: t('designer.changeReasonTodo'),
        });
        await request('PUT', `/api/templates/${encodeURIComponent(id)}/versions/${next}/draft`, {
          files,
          baseHash: null,
        });
        location.hash = `#/designer/${encodeURIComponent(id)}/${next}`;
      } catch (error) {
        revise.disabled = false;
        fail(error);
      }
    });
    return h(
      'li',
      { class: 'task' },
      h(
        'div',
        { class: 'task-main' },
        h('strong', {}, `${latest.title} (${id})`),
        h('span', {}, latest.description),
      ),
      h(
        'div',
        { class: 'task-meta' },
        ...list.map((v) => h('span', {}, `${v.version} `, statusBadge(v.status))),
      ),
      revise,
    );
  });

  show(
    container,
    h('h1', {}, t('designer.title')),
    h('p', { class: 'hint' }, t('designer.hint')),
    failure,
    h('h2', {}, t('designer.drafts')),
    drafts.length === 0
      ? h('p', { class: 'empty' }, t('designer.noDrafts'))
      : h(
          'ul',
          { class: 'tasks', id: 'designer-drafts' },
          ...drafts.map((v) =>
            h(
              'li',
              { class: 'task' },
              h(
                'a',
                {
                  class: 'task-main',
                  href: `#/designer/${encodeURIComponent(v.templateId)}/${encodeURIComponent(v.version)}`,
                },
                h('strong', {}, `${v.title} ${v.version}`),
                h('span', {}, v.compiles ? t('designer.compiles') : t('designer.doesNotCompile')),
              ),
              statusBadge(v.status),
            ),
          ),
        ),
    h('h2', {}, t('designer.templates')),
    h('ul', { class: 'tasks' }, ...rows),
    newTemplateForm(fail),
  );
}

function newTemplateForm(fail: (error: unknown) => void): HTMLElement {
  const inputs = {
    id: h('input', { type: 'text', maxlength: '40', autocomplete: 'off' }),
    title: h('input', { type: 'text', maxlength: '200' }),
    kind: h('input', { type: 'text', maxlength: '60' }),
    numbering: h('input', { type: 'text', maxlength: '60' }),
    roles: h('input', { type: 'text', maxlength: '200', value: 'operator, qa' }),
    description: h('textarea', { rows: '3', maxlength: '2000' }),
  };
  const rows = {
    id: fieldRow('new-template-id', t('designer.id'), inputs.id, t('designer.idHint')),
    title: fieldRow('new-template-title', t('designer.templateTitle'), inputs.title),
    kind: fieldRow('new-template-kind', t('designer.kind'), inputs.kind, t('designer.kindHint')),
    numbering: fieldRow(
      'new-template-numbering',
      t('designer.numbering'),
      inputs.numbering,
      t('designer.numberingHint'),
    ),
    roles: fieldRow('new-template-roles', t('designer.roles'), inputs.roles, t('designer.rolesHint')),
    description: fieldRow('new-template-description', t('designer.description'), inputs.description),
  };
  inputs.id.addEventListener('input', () => {
    const id = inputs.id.value.trim();
    if (!inputs.numbering.dataset.touched)
      inputs.numbering.value = id ? `${id.slice(0, 3).toUpperCase()}-{YYYY}-{seq:4}` : '';
    if (!inputs.kind.dataset.touched) inputs.kind.value = id;
  });
  for (const input of [inputs.numbering, inputs.kind])
    input.addEventListener('input', () => (input.dataset.touched = 'true'));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('designer.create'));
  const form = h(
    'form',
    { class: 'card designer-new', id: 'new-template', novalidate: true },
    h('h2', {}, t('designer.newTemplate')),
    ...Object.values(rows).map((r) => r.row),
    h('div', { class: 'actions' }, submit),
  );
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    const id = inputs.id.value.trim();
    if (!TEMPLATE_ID.test(id)) {
      showAtFields([{ pointer: '/id', keyword: 'pattern', message: t('designer.idHint') }], {
        '/id': rows.id,
      });
      return;
    }
    submit.disabled = true;
    const { blankProcessXml } = await import('./modules.ts');
    const title = inputs.title.value.trim() || id;
    const manifest = {
      id,
      version: '1.0.0',
      kind: inputs.kind.value.trim() || id,
      title,
      description: inputs.description.value.trim() || title,
      numbering: inputs.numbering.value.trim(),
      roles: inputs.roles.value
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
      retention: 'P10Y',
      parameters: {},
      changeReason: t('designer.firstVersion'),
    };
    try {
      await request('PUT', `/api/templates/${id}/versions/1.0.0/draft`, {
        files: {
          'manifest.json': manifestFile(manifest),
          'process.bpmn': blankProcessXml(id, title),
          'README.md': `# ${title}\n\n${manifest.description}\n`,
        },
        baseHash: null,
      });
      location.hash = `#/designer/${id}/1.0.0`;
    } catch (error) {
      submit.disabled = false;
      if (error instanceof Problem && error.errors.length > 0) {
        const left = showAtFields(
          error.errors.map((e) => ({
            ...e,
            pointer: e.pointer.replace(/^\/files\/manifest\.json|^\/manifest/, ''),
          })),
          {
            '/id': rows.id,
            '/title': rows.title,
            '/kind': rows.kind,
            '/numbering': rows.numbering,
            '/roles': rows.roles,
          },
        );
        if (left.length > 0) fail(error);
      } else fail(error);
    }
  });
  return form;
}
