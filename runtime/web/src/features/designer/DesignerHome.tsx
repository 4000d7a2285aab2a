import type { FieldError } from '@attest/task-form';
import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api } from '../../api/client.ts';
import { mountPage } from '../../app/page.tsx';
import { errorsAtFields, Field, fieldProps } from '../../ui/Field.tsx';
import { Message } from '../../ui/Message.tsx';
import { problemText } from '../../ui/problem.ts';
import { compareVersions, StatusBadge, type TemplateVersion } from '../admin/templates/lifecycle.tsx';

const TEMPLATE_ID = /^[a-z][a-z0-9-]{1,39}$/;

/** The next minor version after the highest one a template has. */
export function nextVersion(versions: string[]): string {
  const [major, minor] = ([...versions].sort(compareVersions).at(-1) ?? '0.9.0').split('.').map(Number);
  return `${major}.${(minor ?? 0) + 1}.0`;
}

const manifestFile = (manifest: Record<string, unknown>) => `${JSON.stringify(manifest, null, 2)}\n`;

export async function loadDesignerHome(): Promise<TemplateVersion[]> {
  return (await api.get('/api/templates')).templates;
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showDesignerHome(container: HTMLElement): Promise<void> {
  mountPage(container, <DesignerHome versions={await loadDesignerHome()} />);
}

/**
 * The designer's start: the drafts QA is working on, a new version of a template that exists, or
 * a new template from a blank process.
 */
export function DesignerHome(props: { versions: TemplateVersion[] }) {
  const { versions } = props;
  const [failure, setFailure] = useState<string | null>(null);
  const fail = (error: unknown) => setFailure(problemText(error));
  const byTemplate = new Map<string, TemplateVersion[]>();
  for (const v of versions) byTemplate.set(v.templateId, [...(byTemplate.get(v.templateId) ?? []), v]);
  const drafts = versions.filter((v) => v.status === 'draft');
  return (
    <>
      <h1>{t('designer.title')}</h1>
      <p class="hint">{t('designer.hint')}</p>
      <Message tone="error">{failure}</Message>
      <h2>{t('designer.drafts')}</h2>
      {drafts.length === 0 ? (
        <p class="empty">{t('designer.noDrafts')}</p>
      ) : (
        <ul class="tasks" id="designer-drafts">
          {drafts.map((v) => (
            <li key={`${v.templateId}/${v.version}`} class="task">
              <a
                class="task-main"
                href={`#/designer/${encodeURIComponent(v.templateId)}/${encodeURIComponent(v.version)}`}
              >
                <strong>{`${v.title} ${v.version}`}</strong>
                <span>{v.compiles ? t('designer.compiles') : t('designer.doesNotCompile')}</span>
              </a>
              <StatusBadge status={v.status} />
            </li>
          ))}
        </ul>
      )}
      <h2>{t('designer.templates')}</h2>
      <ul class="tasks">
        {[...byTemplate.entries()].map(([id, list]) => (
          <TemplateRow key={id} id={id} list={list} fail={fail} />
        ))}
      </ul>
      <NewTemplateForm fail={fail} />
    </>
  );
}

/** A template with its versions, and the start of its next version unless one is under way. */
function TemplateRow(props: { id: string; list: TemplateVersion[]; fail(error: unknown): void }) {
  const { id, list } = props;
  const [busy, setBusy] = useState(false);
  const latest = [...list].sort((a, b) => compareVersions(a.version, b.version)).at(-1)!;
  const next = nextVersion(list.map((v) => v.version));
  const revise = async () => {
    setBusy(true);
    try {
      const { files } = await api.get('/api/templates/{templateId}/versions/{version}/files', {
        path: { templateId: id, version: latest.version },
      });
      const manifest = JSON.parse(files['manifest.json']!) as Record<string, unknown>;
      files['manifest.json'] = manifestFile({
        ...manifest,
        version: next,
        changeReason: t('designer.changeReasonTodo'),
      });
      await api.put('/api/templates/{templateId}/versions/{version}/draft', {
        path: { templateId: id, version: next },
        body: { files, baseHash: null },
      });
      location.hash = `#/designer/${encodeURIComponent(id)}/${next}`;
    } catch (error) {
      setBusy(false);
      props.fail(error);
    }
  };
  return (
    <li class="task">
      <div class="task-main">
        <strong>{`${latest.title} (${id})`}</strong>
        <span>{latest.description}</span>
      </div>
      <div class="task-meta">
        {list.map((v) => (
          <span key={v.version}>
            {`${v.version} `}
            <StatusBadge status={v.status} />
          </span>
        ))}
      </div>
      <button
        type="button"
        data-template={id}
        hidden={list.some((v) => v.status === 'draft' || v.status === 'in_review')}
        disabled={busy}
        onClick={() => {
          revise().catch(reportError);
        }}
      >
        {t('designer.newVersion', { version: next })}
      </button>
    </li>
  );
}

const FIELDS = {
  id: '/id',
  title: '/title',
  kind: '/kind',
  numbering: '/numbering',
  roles: '/roles',
} as const;
type Name = keyof typeof FIELDS | 'description';

function NewTemplateForm(props: { fail(error: unknown): void }) {
  const [values, setValues] = useState<Record<Name, string>>({
    id: '',
    title: '',
    kind: '',
    numbering: '',
    roles: 'operator, qa',
    description: '',
  });
  // The kind and numbering follow the id until they are typed in themselves.
  const [touched, setTouched] = useState({ kind: false, numbering: false });
  const [errors, setErrors] = useState<Partial<Record<Name, string>>>({});
  const [busy, setBusy] = useState(false);
  const fieldId = (name: Name) => `new-template-${name}`;
  const place = (list: FieldError[]): FieldError[] => {
    const { at, rest, first } = errorsAtFields(list, FIELDS);
    setErrors(at);
    if (first) document.getElementById(fieldId(first as Name))?.focus();
    return rest;
  };
  const change = (name: Name, value: string) => {
    if (name === 'id') {
      const id = value.trim();
      setValues((v) => ({
        ...v,
        id: value,
        ...(!touched.numbering && { numbering: id ? `${id.slice(0, 3).toUpperCase()}-{YYYY}-{seq:4}` : '' }),
        ...(!touched.kind && { kind: id }),
      }));
    } else {
      if (name === 'kind' || name === 'numbering') setTouched((t) => ({ ...t, [name]: true }));
      setValues((v) => ({ ...v, [name]: value }));
    }
  };
  const input = (name: Name) => ({
    ...fieldProps(fieldId(name), errors[name]),
    value: values[name],
    onInput: (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
      change(name, event.currentTarget.value),
  });

  const submit = async () => {
    const id = values.id.trim();
    if (!TEMPLATE_ID.test(id)) {
      place([{ pointer: '/id', keyword: 'pattern', message: t('designer.idHint') }]);
      return;
    }
    setBusy(true);
    const { blankProcessXml } = await import('./modules.ts');
    const title = values.title.trim() || id;
    const manifest = {
      id,
      version: '1.0.0',
      kind: values.kind.trim() || id,
      title,
      description: values.description.trim() || title,
      numbering: values.numbering.trim(),
      roles: values.roles
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
      retention: 'P10Y',
      parameters: {},
      changeReason: t('designer.firstVersion'),
    };
    try {
      await api.put('/api/templates/{templateId}/versions/{version}/draft', {
        path: { templateId: id, version: '1.0.0' },
        body: {
          files: {
            'manifest.json': manifestFile(manifest),
            'process.bpmn': blankProcessXml(id, title),
            'README.md': `# ${title}\n\n${manifest.description}\n`,
          },
          baseHash: null,
        },
      });
      location.hash = `#/designer/${id}/1.0.0`;
    } catch (error) {
      setBusy(false);
      if (error instanceof Problem && error.errors.length > 0) {
        const left = place(
          error.errors.map((e) => ({
            ...e,
            pointer: e.pointer.replace(/^\/files\/manifest\.json|^\/manifest/, ''),
          })),
        );
        if (left.length > 0) props.fail(error);
      } else props.fail(error);
    }
  };

  return (
    <form
      class="card designer-new"
      id="new-template"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit().catch(reportError);
      }}
    >
      <h2>{t('designer.newTemplate')}</h2>
      <Field
        id={fieldId('id')}
        label={t('designer.id')}
        hint={t('designer.idHint')}
        error={errors.id ?? null}
      >
        <input type="text" maxLength={40} autocomplete="off" {...input('id')} />
      </Field>
      <Field id={fieldId('title')} label={t('designer.templateTitle')} error={errors.title ?? null}>
        <input type="text" maxLength={200} {...input('title')} />
      </Field>
      <Field
        id={fieldId('kind')}
        label={t('designer.kind')}
        hint={t('designer.kindHint')}
        error={errors.kind ?? null}
      >
        <input type="text" maxLength={60} {...input('kind')} />
      </Field>
      <Field
        id={fieldId('numbering')}
        label={t('designer.numbering')}
        hint={t('designer.numberingHint')}
        error={errors.numbering ?? null}
      >
        <input type="text" maxLength={60} {...input('numbering')} />
      </Field>
      <Field
        id={fieldId('roles')}
        label={t('designer.roles')}
        hint={t('designer.rolesHint')}
        error={errors.roles ?? null}
      >
        <input type="text" maxLength={200} {...input('roles')} />
      </Field>
      <Field id={fieldId('description')} label={t('designer.description')}>
        <textarea rows={3} maxLength={2000} {...input('description')} />
      </Field>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {t('designer.create')}
        </button>
      </div>
    </form>
  );
}
