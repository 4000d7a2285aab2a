import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../../../api/client.ts';
import { Table } from '../../../ui/Table.tsx';
import { problemText } from '../../../ui/problem.ts';
import { valueText } from '../common.tsx';
import type { DiagramDiff } from '../diagram.ts';
import { compareVersions, templateStatusLabel, type TemplateVersion } from './lifecycle.tsx';

type TemplateDiff = Schemas['TemplateDiff'];
type ValueChange = TemplateDiff['manifest'][number];

/** The other version to compare with first: the effective one, else the one just before. */
function defaultOther(tv: TemplateVersion, siblings: TemplateVersion[]): TemplateVersion | undefined {
  const others = siblings.filter((s) => s.version !== tv.version);
  return (
    others.find((s) => s.status === 'effective') ??
    others
      .filter((s) => compareVersions(s.version, tv.version) < 0)
      .sort((a, b) => compareVersions(b.version, a.version))[0] ??
    others[0]
  );
}

type Compared =
  | { state: 'loading' }
  | { state: 'done'; diff: TemplateDiff; from: string; to: string }
  | { state: 'failed'; problem: string };

/** What changed between this version and another (G1): manifest values, process elements, form fields. */
export function VersionDiff(props: { tv: TemplateVersion; siblings: TemplateVersion[] }) {
  const { tv, siblings } = props;
  const { templateId } = tv;
  const others = siblings
    .filter((s) => s.version !== tv.version)
    .sort((a, b) => compareVersions(b.version, a.version));
  const [other, setOther] = useState(() => defaultOther(tv, siblings)?.version ?? null);
  const [compared, setCompared] = useState<Compared>({ state: 'loading' });
  const drawn = useRef<DiagramDiff | null>(null);

  useEffect(() => {
    if (other === null) return;
    let current = true;
    const [from, to] = compareVersions(other, tv.version) < 0 ? [other, tv.version] : [tv.version, other];
    setCompared({ state: 'loading' });
    api
      .get('/api/templates/{templateId}/diff', { path: { templateId }, query: { from, to } })
      .then((diff) => {
        if (current) setCompared({ state: 'done', diff, from, to });
      })
      .catch((error: unknown) => {
        if (current) setCompared({ state: 'failed', problem: problemText(error) });
      });
    return () => {
      current = false;
    };
  }, [templateId, tv.version, other]);

  if (other === null) {
    return (
      <section class="panel" id="version-diff">
        <h2>{t('admin.diff.title')}</h2>
        <p class="empty">{t('admin.diff.only')}</p>
        <Diagrams
          templateId={templateId}
          from={null}
          to={tv.version}
          versions={[tv, ...siblings]}
          diff={null}
        />
      </section>
    );
  }
  return (
    <section class="panel" id="version-diff">
      <h2>{t('admin.diff.title')}</h2>
      <div class="filters admin-filters">
        <label for="diff-other">{t('admin.diff.compareWith')}</label>
        <select id="diff-other" value={other} onChange={(event) => setOther(event.currentTarget.value)}>
          {others.map((o) => (
            <option key={o.version} value={o.version}>
              {`${o.version} · ${templateStatusLabel(o.status)}`}
            </option>
          ))}
        </select>
      </div>
      <div id="diff-result">
        {compared.state === 'loading' ? (
          <p class="loading">{t('admin.loading')}</p>
        ) : compared.state === 'failed' ? (
          <p class="message error" role="alert">
            {compared.problem}
          </p>
        ) : (
          <DiffView
            key={`${compared.from}:${compared.to}`}
            diff={compared.diff}
            diagrams={
              <Diagrams
                templateId={templateId}
                from={compared.from}
                to={compared.to}
                versions={siblings}
                diff={compared.diff}
                drawn={drawn}
              />
            }
            focus={(id) => drawn.current?.focus(id)}
          />
        )}
      </div>
    </section>
  );
}

type Kind = 'added' | 'removed' | 'changed';
const KINDS: Record<Kind, MessageKey> = {
  added: 'admin.diff.added',
  removed: 'admin.diff.removed',
  changed: 'admin.diff.changed',
};

const elementName = (e: { id: string; name: string | null; kind?: string }) =>
  `${e.name ? `${e.name} ` : ''}(${e.id}${e.kind ? ` · ${e.kind}` : ''})`;
const fieldName = (f: { label: string; pointer: string; type?: string }) =>
  `${f.label} (${f.pointer}${f.type ? ` · ${f.type}` : ''})`;

/** A line of the diff: what changed, marked added, removed or changed. */
function Item(props: { kind: Kind; title: string; children?: ComponentChildren }) {
  return (
    <li class={`diff-${props.kind}`}>
      <div class="admin-diff-item">
        <span class={`badge diff-${props.kind}`}>{t(KINDS[props.kind])}</span>
        <span>{props.title}</span>
      </div>
      {props.children}
    </li>
  );
}

/** A process element's line: clicked (or Enter, Space), it shows the element on the diagrams. */
function ElementItem(props: {
  kind: Kind;
  element: { id: string; name: string | null; kind?: string };
  focus(id: string): void;
  children?: ComponentChildren;
}) {
  const { id } = props.element;
  const pick = (event: Event) => {
    if ((event.target as HTMLElement).closest('table')) return;
    props.focus(id);
  };
  return (
    <li
      class={`diff-${props.kind} admin-diff-element`}
      data-element={id}
      tabIndex={0}
      title={t('admin.diff.showOnDiagram')}
      onClick={pick}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          pick(event);
        }
      }}
    >
      <div class="admin-diff-item">
        <span class={`badge diff-${props.kind}`}>{t(KINDS[props.kind])}</span>
        <span>{elementName(props.element)}</span>
      </div>
      {props.children}
    </li>
  );
}

function Group(props: { id: string; title: MessageKey; children: ComponentChildren[] }) {
  if (props.children.length === 0) return null;
  return (
    <div class="admin-diff-group" id={props.id}>
      <h3>{t(props.title)}</h3>
      <ul class="admin-diff">{props.children}</ul>
    </div>
  );
}

function DiffView(props: { diff: TemplateDiff; diagrams: ComponentChildren; focus(id: string): void }) {
  const { diff, focus } = props;
  const summary = (
    <p class="admin-diff-summary">{t('admin.diff.summary', { from: diff.from, to: diff.to })}</p>
  );
  if (diff.identical) {
    return (
      <>
        {summary}
        <p class="empty" id="diff-identical">
          {t('admin.diff.identical')}
        </p>
      </>
    );
  }
  return (
    <>
      {summary}
      {props.diagrams}
      <Group id="diff-manifest" title="admin.diff.manifest">
        {diff.manifest.length > 0
          ? [
              <li key="manifest" class="diff-changed">
                <ChangesTable changes={diff.manifest} />
              </li>,
            ]
          : []}
      </Group>
      <Group id="diff-process" title="admin.diff.process">
        {[
          ...diff.process.added.map((e) => (
            <ElementItem key={`a${e.id}`} kind="added" element={e} focus={focus} />
          )),
          ...diff.process.removed.map((e) => (
            <ElementItem key={`r${e.id}`} kind="removed" element={e} focus={focus} />
          )),
          ...diff.process.changed.map((e) => (
            <ElementItem key={`c${e.id}`} kind="changed" element={e} focus={focus}>
              <ChangesTable changes={e.changes} />
            </ElementItem>
          )),
        ]}
      </Group>
      <Group id="diff-forms" title="admin.diff.forms">
        {[
          ...diff.forms.added.map((key) => (
            <Item key={`a${key}`} kind="added" title={t('admin.diff.form', { key })} />
          )),
          ...diff.forms.removed.map((key) => (
            <Item key={`r${key}`} kind="removed" title={t('admin.diff.form', { key })} />
          )),
          ...diff.forms.changed.map((form) => {
            const fields = [
              ...form.fields.added.map((f) => (
                <Item key={`a${f.pointer}`} kind="added" title={fieldName(f)} />
              )),
              ...form.fields.removed.map((f) => (
                <Item key={`r${f.pointer}`} kind="removed" title={fieldName(f)} />
              )),
              ...form.fields.changed.map((f) => (
                <Item key={`c${f.pointer}`} kind="changed" title={fieldName(f)}>
                  <ChangesTable changes={f.changes} />
                </Item>
              )),
            ];
            return (
              <Item key={`c${form.key}`} kind="changed" title={t('admin.diff.form', { key: form.key })}>
                {fields.length > 0 ? (
                  <ul class="admin-diff nested">{fields}</ul>
                ) : (
                  <p class="note">{t('admin.diff.formOnly')}</p>
                )}
              </Item>
            );
          }),
        ]}
      </Group>
      {diff.readme ? (
        <p class="note" id="diff-readme">
          {t('admin.diff.readme')}
        </p>
      ) : null}
    </>
  );
}

function ChangesTable(props: { changes: ValueChange[] }) {
  return (
    <Table
      class="admin-changes"
      rows={props.changes}
      rowKey={(_c, i) => i}
      columns={[
        { heading: t('admin.diff.path'), cell: (c) => <code>{c.path || '/'}</code> },
        { heading: t('admin.diff.before'), class: 'diff-old', cell: (c) => valueText(c.old) },
        { heading: t('admin.diff.after'), class: 'diff-new', cell: (c) => valueText(c.new) },
      ]}
    />
  );
}

/**
 * The process of `to` drawn beside that of `from`, with the elements the diff reports marked; of
 * `to` alone when there is nothing to compare with. A version whose diagram cannot be drawn leaves a
 * note, and the list of changes stands. The viewers (bpmn-js, a chunk of its own) live in a host
 * element of their own, and are destroyed when it leaves the page.
 */
function Diagrams(props: {
  templateId: string;
  from: string | null;
  to: string;
  versions: TemplateVersion[];
  diff: TemplateDiff | null;
  drawn?: { current: DiagramDiff | null };
}) {
  const host = useRef<HTMLDivElement>(null);
  const { templateId, from, to } = props;
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    const into = host.current!;
    const { versions, diff, drawn } = latest.current;
    let shown: DiagramDiff | null = null;
    let ended = false;
    show(into, h('p', { class: 'loading' }, t('admin.diff.diagramLoading')));
    const title = (version: string) => {
      const status = versions.find((v) => v.version === version)?.status;
      return `${t('admin.version.version')} ${version}${status ? ` · ${templateStatusLabel(status)}` : ''}`;
    };
    const processOf = async (version: string) => {
      const { files } = await api.get('/api/templates/{templateId}/versions/{version}/files', {
        path: { templateId, version },
      });
      return files['process.bpmn'] ?? '';
    };
    const ids = (list: { id: string; kind?: string }[]) =>
      list.filter((e) => e.kind !== 'process').map((e) => e.id);
    const draw = async () => {
      try {
        const [{ createDiagramDiff }, before, after] = await Promise.all([
          import('../diagram.ts'),
          from ? processOf(from) : Promise.resolve(null),
          processOf(to),
        ]);
        if (ended) return;
        show(into);
        const made = await createDiagramDiff(into, {
          before: before === null ? undefined : { xml: before, title: title(from!) },
          after: { xml: after, title: title(to) },
          changes: {
            added: diff ? ids(diff.process.added) : [],
            removed: diff ? ids(diff.process.removed) : [],
            changed: diff ? diff.process.changed.map((e) => e.id) : [],
          },
          labels: {
            added: t('admin.diff.added'),
            removed: t('admin.diff.removed'),
            changed: t('admin.diff.changed'),
          },
        });
        if (ended) return made.destroy();
        shown = made;
        if (drawn) drawn.current = made;
      } catch (error) {
        if (ended) return;
        show(
          into,
          h(
            'p',
            { class: 'note', id: 'diff-diagram-problem' },
            t('admin.diff.diagramFailed', { problem: problemText(error) }),
          ),
        );
      }
    };
    draw().catch(reportError);
    return () => {
      ended = true;
      shown?.destroy();
      if (drawn && drawn.current === shown) drawn.current = null;
    };
  }, [templateId, from, to]);
  return <div ref={host} id="diff-diagrams" class="admin-diagrams" />;
}
