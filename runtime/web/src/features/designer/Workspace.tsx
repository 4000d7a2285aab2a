import { language, t, type MessageKey } from '@attest/task-form/i18n';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api/client.ts';
import { mountPage } from '../../app/page.tsx';
import { StatusBadge, versionHref } from '../admin/templates/lifecycle.tsx';
import { autosave, openDraft, type DraftState, type SaveStatus } from './draft.ts';
import { Message } from '../../ui/Message.tsx';
import { problemText } from '../../ui/problem.ts';

type Modules = typeof import('./modules.ts');
type Saver = ReturnType<typeof autosave>;
type Tab = 'process' | 'forms' | 'manifest' | 'submit';
const TABS: [Tab, MessageKey][] = [
  ['process', 'designer.tab.process'],
  ['forms', 'designer.tab.forms'],
  ['manifest', 'designer.tab.manifest'],
  ['submit', 'designer.tab.submit'],
];
const FORM_KEY = /^[a-z][a-z0-9-]{0,59}$/;

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

const splitParam = (param: string) => {
  const [templateId = '', version = ''] = param.split('/').map(decodeURIComponent);
  return { templateId, version };
};

/** Opens a version for the workspace, with the designer's heavy parts (a chunk of their own). */
export async function loadWorkspace(param: string): Promise<{ draft: DraftState; modules: Modules }> {
  const { templateId, version } = splitParam(param);
  const draft = await openDraft(templateId, version);
  return { draft, modules: await import('./modules.ts') };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showWorkspace(container: HTMLElement, param: string): Promise<void> {
  mountPage(container, <Workspace param={param} {...await loadWorkspace(param)} />);
}

/**
 * A template draft in the designer: its process in the modeler, its forms in the builder, its
 * manifest, saved as it is worked on (autosave, refused when someone else saved in between), the
 * server's check of the whole package, and submission for review. Reloading after a conflict opens
 * the draft as it now is, in a new workspace.
 */
export function Workspace(props: { param: string; draft: DraftState; modules: Modules }) {
  const [opened, setOpened] = useState({ draft: props.draft, generation: 0 });
  const { templateId, version } = splitParam(props.param);
  if (opened.draft.status !== 'draft') {
    return (
      <>
        <h1>{`${templateId} ${version}`}</h1>
        <p class="message error">{t('designer.notDraft')}</p>
        <a href={versionHref({ templateId, version })}>{t('designer.toVersion')}</a>
      </>
    );
  }
  const reload = () => {
    openDraft(templateId, version)
      .then((draft) => setOpened((o) => ({ draft, generation: o.generation + 1 })))
      .catch(reportError);
  };
  return (
    <DraftWorkspace key={opened.generation} draft={opened.draft} modules={props.modules} reload={reload} />
  );
}

function statusText(status: SaveStatus | null, draft: DraftState): string {
  if (status === null) return draft.compiles ? t('designer.savedCompiles') : t('designer.openedProblems');
  switch (status.kind) {
    case 'saving':
      return t('designer.saving');
    case 'dirty':
      return t('designer.unsaved');
    case 'saved':
      return draft.compiles
        ? t('designer.savedCompiles')
        : t('designer.savedProblems', { count: draft.problems.length });
    case 'failed':
      return t('designer.saveFailed', { detail: status.message });
    case 'conflict':
      return t('designer.conflict');
  }
}

function DraftWorkspace(props: { draft: DraftState; modules: Modules; reload(): void }) {
  const { draft, modules } = props;
  // null: as opened, before anything was saved.
  const [status, setStatus] = useState<SaveStatus | null>(null);
  const [saver] = useState(() => autosave(draft, (s) => setStatus(s)));
  const [tab, setTab] = useState<Tab>('process');
  const [opened, setOpened] = useState<Tab[]>(['process']);
  useEffect(() => () => saver.stop(), [saver]);
  const select = (next: Tab) => {
    setTab(next);
    setOpened((o) => (o.includes(next) ? o : [...o, next]));
  };
  const view = (name: Tab) => {
    switch (name) {
      case 'process':
        return <ModelerView draft={draft} modules={modules} saver={saver} />;
      case 'forms':
        return <FormsView draft={draft} modules={modules} saver={saver} />;
      case 'manifest':
        return <ManifestView draft={draft} saver={saver} />;
      case 'submit':
        return <SubmitView draft={draft} saver={saver} conflict={status?.kind === 'conflict'} />;
    }
  };
  return (
    <>
      <div class="record-head">
        <h1>
          {`${String(parsed(draft.files['manifest.json']).title ?? draft.templateId)} ${draft.version}`}{' '}
          <StatusBadge status={draft.status} />
        </h1>
        <p
          id="save-status"
          class="save-status"
          role="status"
          aria-live="polite"
          data-state={status?.kind ?? 'saved'}
        >
          {statusText(status, draft)}
        </p>
      </div>
      <div id="save-conflict" class="message error" role="alert" hidden={status?.kind !== 'conflict'}>
        {status?.kind === 'conflict' ? (
          <>
            <p>{status.message}</p>
            <button type="button" id="reload-draft" onClick={props.reload}>
              {t('designer.reload')}
            </button>
          </>
        ) : null}
      </div>
      <nav class="designer-tabs" aria-label={t('designer.tabs')}>
        {TABS.map(([name, label]) => (
          <button
            key={name}
            type="button"
            data-tab={name}
            class={name === tab ? 'active' : undefined}
            onClick={() => select(name)}
          >
            {t(label)}
          </button>
        ))}
      </nav>
      <div class="designer-body">
        {/* A view stays as it was when another tab is shown: the modeler keeps its zoom, the builder its form. */}
        {opened.map((name) => (
          <section key={name} class={`designer-view designer-${name}`} data-view={name} hidden={name !== tab}>
            {view(name)}
          </section>
        ))}
      </div>
    </>
  );
}

/** The process in the modeler (bpmn-js), with its properties and the problems the server finds. */
function ModelerView(props: { draft: DraftState; modules: Modules; saver: Saver }) {
  const canvas = useRef<HTMLDivElement>(null);
  const properties = useRef<HTMLDivElement>(null);
  const problems = useRef<HTMLDivElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    const { draft, modules, saver } = latest.current;
    let ended = false;
    let modeler: ReturnType<Modules['createWorkflowModeler']> | null = null;
    const mount = async () => {
      const templates = (await api.get('/api/templates')).templates.filter((v) => v.status === 'effective');
      if (ended) return;
      const made = modules.createWorkflowModeler(canvas.current!, {
        propertiesParent: properties.current!,
        problemsParent: problems.current!,
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
          // The forms go as the draft has them, even half written: the check says what is wrong
          // with them, so the document's shape of a form is not checked here.
          const forms = Object.fromEntries(
            formKeys(draft).map((key) => [key, parsed(draft.files[`forms/${key}.json`])]),
          ) as Record<string, { components: unknown[] }>;
          const answer = await api.post('/api/designer/process-check', { body: { xml, forms } });
          return answer.problems;
        },
      });
      modeler = made;
      await made.importXml(draft.files['process.bpmn'] ?? '');
      made.on('changed', () => {
        made
          .exportXml()
          .then((xml) => saver.changed('process.bpmn', xml))
          .catch(reportError);
      });
    };
    mount().catch((error: unknown) => {
      if (!ended) setFailure(problemText(error));
    });
    return () => {
      ended = true;
      modeler?.destroy();
    };
  }, []);
  return (
    <>
      <div class="designer-modeler">
        <div ref={canvas} class="designer-canvas" id="modeler" />
        <div ref={properties} class="designer-properties attest-properties" id="properties" />
      </div>
      <div ref={problems} class="designer-problems" id="model-problems" />
      {failure ? (
        <p class="message error" role="alert">
          {failure}
        </p>
      ) : null}
    </>
  );
}

/** The package's forms in the Form.io builder: one at a time, picked by key; a new one added by key. */
function FormsView(props: { draft: DraftState; modules: Modules; saver: Saver }) {
  const { draft, saver } = props;
  const host = useRef<HTMLDivElement>(null);
  const builder = useRef<Awaited<ReturnType<Modules['createFormBuilder']>> | null>(null);
  const ended = useRef(false);
  // The form being built, read by the builder's change listener.
  const current = useRef<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [key, setKey] = useState('');
  const [keyError, setKeyError] = useState<string | null>(null);
  const titleOf = (k: string) => {
    const value = parsed(draft.files[`forms/${k}.json`]).title;
    return typeof value === 'string' ? value : '';
  };

  const open = async (k: string) => {
    current.current = k;
    setShown(k);
    setTitle(titleOf(k));
    const definition = parsed(draft.files[`forms/${k}.json`]);
    if (builder.current) return builder.current.setDefinition(definition);
    const made = await props.modules.createFormBuilder(host.current!, {
      definition,
      language: language(),
      check: (d) => api.post('/api/designer/form-check', { body: { definition: d } }),
      preview: (d, data, na) =>
        api.post('/api/designer/form-preview', {
          body: { definition: d, data, ...(na && Object.keys(na).length > 0 && { na }) },
        }),
    });
    if (ended.current) return made.destroy();
    builder.current = made;
    made.on('changed', (d) => {
      // The title is kept as typed beside the builder, whatever the builder holds.
      const at = current.current;
      if (at) saver.changed(`forms/${at}.json`, `${JSON.stringify({ ...d, title: titleOf(at) }, null, 2)}\n`);
    });
  };

  useEffect(() => {
    ended.current = false;
    const first = formKeys(draft)[0];
    if (first) open(first).catch(reportError);
    return () => {
      ended.current = true;
      builder.current?.destroy();
      builder.current = null;
    };
  }, []);

  const add = () => {
    const k = key.trim();
    const taken = formKeys(draft).includes(k);
    if (!FORM_KEY.test(k) || taken) {
      setKeyError(taken ? t('designer.formTaken') : t('designer.formKeyHint'));
      return;
    }
    setKeyError(null);
    saver.changed(
      `forms/${k}.json`,
      `${JSON.stringify({ title: k, display: 'form', components: [] }, null, 2)}\n`,
    );
    setKey('');
    open(k).catch(reportError);
  };

  return (
    <>
      <div class="filters designer-form-bar">
        <label class="designer-bar-field">
          <span>{t('designer.form')}</span>
          <select
            id="form-picker"
            value={shown ?? ''}
            onChange={(event) => {
              open(event.currentTarget.value).catch(reportError);
            }}
          >
            {formKeys(draft).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label class="designer-bar-field">
          {/* The title the step and the modeler's form picker show; the builder edits the components. */}
          <span>{t('designer.formTitle')}</span>
          <input
            type="text"
            id="form-title"
            maxLength={200}
            value={title}
            onInput={(event) => {
              const typed = event.currentTarget.value;
              setTitle(typed);
              const at = current.current;
              if (!at) return;
              const file = `forms/${at}.json`;
              saver.changed(
                file,
                `${JSON.stringify({ ...parsed(draft.files[file]), title: typed }, null, 2)}\n`,
              );
            }}
          />
        </label>
        <label class="designer-bar-field">
          <span>{t('designer.formKey')}</span>
          <input
            type="text"
            id="new-form-key"
            maxLength={60}
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
        </label>
        <button type="button" id="add-form" onClick={add}>
          {t('designer.addForm')}
        </button>
      </div>
      <small class="field-error" hidden={keyError === null}>
        {keyError ?? ''}
      </small>
      <div ref={host} class="designer-builder" id="form-builder" />
    </>
  );
}

const MANIFEST_FIELDS: [string, MessageKey, 'text' | 'textarea' | 'list'][] = [
  ['title', 'designer.templateTitle', 'text'],
  ['description', 'designer.description', 'textarea'],
  ['changeReason', 'designer.changeReason', 'textarea'],
  ['numbering', 'designer.numbering', 'text'],
  ['roles', 'designer.roles', 'list'],
  ['retention', 'designer.retention', 'text'],
  ['recordDue', 'designer.recordDue', 'text'],
];

/** The manifest's values as fields; each change is saved into manifest.json. */
function ManifestView(props: { draft: DraftState; saver: Saver }) {
  const { draft, saver } = props;
  const [manifest] = useState(() => parsed(draft.files['manifest.json']));
  const change = (name: string, kind: 'text' | 'textarea' | 'list', typed: string) => {
    const next = parsed(draft.files['manifest.json']);
    const text = typed.trim();
    if (kind === 'list')
      next[name] = text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (text === '' && name === 'recordDue') delete next[name];
    else next[name] = typed;
    saver.changed('manifest.json', `${JSON.stringify(next, null, 2)}\n`);
  };
  return (
    <form class="card designer-manifest" noValidate onSubmit={(event) => event.preventDefault()}>
      {MANIFEST_FIELDS.map(([name, label, kind]) => {
        const value = manifest[name];
        const initial = Array.isArray(value) ? value.join(', ') : value === undefined ? '' : String(value);
        const id = `manifest-${name}`;
        const onInput = (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) =>
          change(name, kind, event.currentTarget.value);
        return (
          <div key={name} class="field">
            <label for={id}>{t(label)}</label>
            {kind === 'textarea' ? (
              <textarea rows={3} id={id} defaultValue={initial} onInput={onInput} />
            ) : (
              <input type="text" id={id} defaultValue={initial} onInput={onInput} />
            )}
          </div>
        );
      })}
    </form>
  );
}

/** The server's check of the whole package, and its submission for review once it passes. */
function SubmitView(props: { draft: DraftState; saver: Saver; conflict: boolean }) {
  const { draft, saver } = props;
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await saver.flush();
      if (!draft.compiles) throw new Error(t('designer.fixFirst'));
      await api.post('/api/templates/{templateId}/versions/{version}/submit', {
        path: { templateId: draft.templateId, version: draft.version },
      });
      location.hash = versionHref(draft);
    } catch (error) {
      setFailure(problemText(error));
      setBusy(false);
    }
  };
  return (
    <>
      <h2>{t('designer.check')}</h2>
      {draft.problems.length === 0 ? (
        <p class={draft.compiles ? 'message success' : 'empty'} id="package-ok">
          {draft.compiles ? t('designer.compilesLong') : t('designer.notChecked')}
        </p>
      ) : (
        <ul class="exceptions" id="package-problems">
          {draft.problems.map((p, i) => (
            <li key={i} class="exception severity-high">
              <code>{p.pointer || '/'}</code>
              {` ${p.message}`}
            </li>
          ))}
        </ul>
      )}
      <p class="hint">{t('designer.submitHint')}</p>
      <Message tone="error">{failure}</Message>
      <button
        type="button"
        class="primary"
        id="submit-draft"
        disabled={busy || !draft.compiles || props.conflict}
        onClick={() => {
          submit().catch(reportError);
        }}
      >
        {t('designer.submit')}
      </button>
    </>
  );
}
