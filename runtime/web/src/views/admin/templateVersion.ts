import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { download, Problem, request } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../shell.ts';
import {
  attempt,
  confirmDialog,
  meaningLabel,
  notice,
  problemText,
  reasonDialog,
  signatureDialog,
  signatureProblem,
  table,
  valueText,
} from './common.ts';
import type { DiagramDiff } from './diagram.ts';
import { compareVersions, statusBadge, templateStatusLabel, type TemplateVersion } from './templates.ts';

interface AuditEvent {
  seq: number;
  type: string;
  actorId: string | null;
  actorName: string;
  at: string;
  payload: Record<string, unknown>;
  reason: string | null;
}

interface ValueChange {
  path: string;
  old: unknown;
  new: unknown;
}
interface ElementSummary {
  id: string;
  kind: string;
  name: string | null;
  process: string;
}
interface FieldSummary {
  key: string;
  pointer: string;
  label: string;
  type: string;
}
interface TemplateDiff {
  from: string;
  to: string;
  manifest: ValueChange[];
  process: {
    added: ElementSummary[];
    removed: ElementSummary[];
    changed: { id: string; name: string | null; changes: ValueChange[] }[];
  };
  forms: {
    added: string[];
    removed: string[];
    changed: {
      key: string;
      fields: {
        added: FieldSummary[];
        removed: FieldSummary[];
        changed: { key: string; pointer: string; label: string; changes: ValueChange[] }[];
      };
    }[];
  };
  readme: boolean;
  identical: boolean;
}

const EVENT_KEYS: Record<string, MessageKey> = {
  'template.imported': 'admin.event.imported',
  'template.revised': 'admin.event.revised',
  'template.submitted': 'admin.event.submitted',
  'template.approved': 'admin.event.approved',
  'template.rejected': 'admin.event.rejected',
  'template.made_effective': 'admin.event.madeEffective',
  'template.superseded': 'admin.event.superseded',
  'template.retired': 'admin.event.retired',
  'signature.applied': 'admin.event.signed',
  'signature.withdrawn': 'admin.event.signatureWithdrawn',
};
const eventLabel = (type: string) => (EVENT_KEYS[type] ? t(EVENT_KEYS[type]) : type);

/**
 * One version of a template: its manifest, what changed against another version (G1), its audit
 * trail, and the lifecycle acts this person may make (D1): submit, approve or reject with an
 * electronic signature, make effective, retire; and its export as a package.
 */
export async function templateVersionView(container: HTMLElement, me: Me, param: string): Promise<void> {
  const [templateId = '', version = ''] = param.split('/');
  const base = `/api/templates/${encodeURIComponent(templateId)}`;
  const path = `${base}/versions/${encodeURIComponent(version)}`;
  const [tv, { events }, { templates: siblings }] = await Promise.all([
    request<TemplateVersion>('GET', path),
    request<{ events: AuditEvent[] }>('GET', `${path}/history`),
    request<{ templates: TemplateVersion[] }>(
      'GET',
      `/api/templates?templateId=${encodeURIComponent(templateId)}`,
    ),
  ]);
  const message = h('p', { class: 'message', id: 'version-notice', hidden: true });
  const redraw = async (text: string) => {
    await templateVersionView(container, me, param);
    notice(container.querySelector<HTMLElement>('#version-notice')!, 'success', text);
  };
  const name = `${tv.title} ${tv.version}`;

  const manage = me.permissions.includes('templates.manage');
  const approve = me.permissions.includes('templates.approve');
  // Who imported or revised it is its author, and approves nothing of it (B5).
  const authored =
    tv.createdBy === me.user.id ||
    events.some((e) => e.type === 'template.revised' && e.actorId === me.user.id);
  const button = (id: string, label: string, primary: boolean, run: () => Promise<void>) => {
    const b = h('button', { type: 'button', id, class: primary ? 'primary' : undefined }, label);
    b.addEventListener('click', () => {
      message.hidden = true;
      void run();
    });
    return b;
  };
  const signed = (meaning: 'Approved' | 'Rejected') => async () => {
    let refused: unknown = null;
    const rejecting = meaning === 'Rejected';
    const ok = await signatureDialog({
      id: rejecting ? 'reject-dialog' : 'approve-dialog',
      title: t(rejecting ? 'admin.version.rejectTitle' : 'admin.version.approveTitle', { name }),
      act: t(rejecting ? 'admin.version.rejectAct' : 'admin.version.approveAct', { name }),
      meaning,
      me,
      reason: rejecting ? 'required' : 'none',
      confirm: t('admin.sign.submit'),
      send: async (signature) => {
        try {
          await request('POST', `${path}/${rejecting ? 'reject' : 'approve'}`, signature);
          return null;
        } catch (error) {
          if (signatureProblem(error) || (error instanceof Problem && error.status === 400))
            return problemText(error);
          refused = error;
          return null;
        }
      },
    });
    if (!ok) return;
    if (refused) return notice(message, 'error', problemText(refused));
    await redraw(
      t(rejecting ? 'admin.version.rejected' : 'admin.version.approved', {
        name,
        meaning: meaningLabel(meaning),
      }),
    );
  };
  const effective = siblings.find((s) => s.status === 'effective' && s.version !== tv.version);
  const actions = [
    manage && tv.status === 'draft'
      ? button('version-submit', t('admin.version.submit'), true, async () => {
          const ok = await confirmDialog({
            id: 'submit-dialog',
            title: t('admin.version.submitTitle', { name }),
            text: t('admin.version.submitText'),
            confirm: t('admin.version.submit'),
            send: () => attempt(() => request('POST', `${path}/submit`)),
          });
          if (ok) await redraw(t('admin.version.submitted', { name }));
        })
      : null,
    approve && tv.status === 'in_review' && !authored
      ? button('version-approve', t('admin.version.approve'), true, signed('Approved'))
      : null,
    approve && tv.status === 'in_review' && !authored
      ? button('version-reject', t('admin.version.reject'), false, signed('Rejected'))
      : null,
    manage && tv.status === 'approved'
      ? button('version-effective', t('admin.version.makeEffective'), true, async () => {
          const ok = await confirmDialog({
            id: 'effective-dialog',
            title: t('admin.version.effectiveTitle', { name }),
            text: effective
              ? t('admin.version.effectiveSupersedes', { version: effective.version })
              : t('admin.version.effectiveText'),
            confirm: t('admin.version.makeEffective'),
            send: () => attempt(() => request('POST', `${path}/effective`)),
          });
          if (ok) await redraw(t('admin.version.madeEffective', { name }));
        })
      : null,
    manage && tv.status !== 'retired'
      ? button('version-retire', t('admin.version.retire'), false, async () => {
          const ok = await reasonDialog({
            id: 'retire-dialog',
            title: t('admin.version.retireTitle', { name }),
            text: t('admin.version.retireText'),
            confirm: t('admin.version.retireConfirm'),
            send: (reason) => attempt(() => request('POST', `${path}/retire`, { reason })),
          });
          if (ok) await redraw(t('admin.version.retired', { name }));
        })
      : null,
    button('version-export', t('admin.version.export'), false, async () => {
      try {
        await download(`${path}/export`);
      } catch (error) {
        notice(message, 'error', problemText(error));
      }
    }),
  ];
  const waiting =
    tv.status === 'in_review' && approve && authored
      ? h('p', { class: 'note', id: 'version-author' }, t('admin.version.authorCannotApprove'))
      : tv.status === 'in_review' && !approve
        ? h('p', { class: 'note' }, t('admin.version.waitsForApproval'))
        : null;

  const approval = [...events].reverse().find((e) => e.type === 'signature.applied');
  show(
    container,
    h('p', { class: 'crumbs' }, h('a', { href: '#/templates' }, t('admin.version.back'))),
    h(
      'div',
      { class: 'admin-head' },
      h('h1', { id: 'version-title' }, name),
      h('span', { id: 'version-status' }, statusBadge(tv.status)),
    ),
    tv.description ? h('p', { class: 'admin-description' }, tv.description) : null,
    message,
    h('div', { class: 'admin-row-actions admin-lifecycle', id: 'version-actions' }, ...actions),
    waiting,
    h(
      'section',
      { class: 'panel', id: 'version-manifest' },
      h('h2', {}, t('admin.version.manifest')),
      facts([
        ['admin.version.templateId', tv.templateId],
        ['admin.version.version', tv.version],
        ['admin.version.kind', tv.kind],
        ['admin.version.status', templateStatusLabel(tv.status)],
        ['admin.version.changeReason', tv.changeReason],
        ['admin.version.numbering', tv.numbering],
        ['admin.version.roles', tv.roles.join(', ')],
        ['admin.version.retention', tv.retention],
        ['admin.version.recordDue', valueText(tv.recordDue)],
        ['admin.version.forms', tv.forms.join(', ')],
        [
          'admin.version.parameters',
          Object.keys(tv.parameters).length > 0
            ? Object.entries(tv.parameters)
                .map(([k, v]) => `${k} = ${String(v)}`)
                .join('; ')
            : '—',
        ],
        ['admin.version.created', formatInstant(tv.createdAt)],
        [
          'admin.version.approvedAt',
          approval && tv.approvedAt
            ? t('admin.version.approvedBy', {
                name: `${approval.actorName} (${String(approval.payload.signer ?? '')})`,
                at: formatInstant(tv.approvedAt),
                meaning: meaningLabel(String(approval.payload.meaning ?? 'Approved')),
              })
            : formatInstant(tv.approvedAt),
        ],
        ['admin.version.effectiveAt', formatInstant(tv.effectiveAt)],
        ['admin.version.contentHash', h('code', { class: 'admin-hash' }, tv.contentHash)],
      ]),
    ),
    diffPanel(base, tv, siblings),
    h(
      'section',
      { class: 'panel', id: 'version-history' },
      h('h2', {}, t('admin.version.history')),
      historyTable(events),
    ),
  );
}

function facts(entries: [MessageKey, string | Node][]): HTMLElement {
  return h(
    'dl',
    { class: 'admin-facts' },
    ...entries.flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value || '—')]),
  );
}

function historyTable(events: AuditEvent[]): HTMLElement {
  if (events.length === 0) return h('p', { class: 'empty' }, t('admin.version.noHistory'));
  return table(
    { id: 'history' },
    [t('admin.history.at'), t('admin.history.event'), t('admin.history.by'), t('admin.history.details')],
    events.map((e) =>
      h(
        'tr',
        { 'data-type': e.type },
        h('td', {}, formatInstant(e.at)),
        h('td', {}, eventLabel(e.type)),
        h('td', {}, e.actorName),
        h('td', { class: 'admin-details' }, ...eventDetails(e)),
      ),
    ),
  );
}

function eventDetails(e: AuditEvent): (Node | string)[] {
  const lines: (Node | string)[] = [];
  const line = (text: string, cls?: string) => lines.push(h('span', { class: cls ?? 'admin-line' }, text));
  if (e.type === 'signature.applied') {
    line(
      t('admin.history.signature', {
        meaning: meaningLabel(String(e.payload.meaning ?? '')),
        signer: `${e.actorName} (${String(e.payload.signer ?? '')})`,
        at: formatInstant(e.at),
      }),
      'admin-line manifestation',
    );
  }
  const changes = Array.isArray(e.payload.changes) ? (e.payload.changes as ValueChange[]) : [];
  for (const c of changes) {
    if (c.path === '/status')
      line(
        t('admin.history.status', {
          from: templateStatusLabel(String(c.old)),
          to: templateStatusLabel(String(c.new)),
        }),
      );
    else line(`${c.path}: ${valueText(c.old)} → ${valueText(c.new)}`);
  }
  if (typeof e.payload.changeReason === 'string')
    line(t('admin.history.changeReason', { reason: e.payload.changeReason }));
  if (typeof e.payload.supersededBy === 'string')
    line(t('admin.history.supersededBy', { version: e.payload.supersededBy }));
  if (e.reason) line(t('admin.history.reason', { reason: e.reason }));
  return lines;
}

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

/** What changed between this version and another (G1): manifest values, process elements, form fields. */
function diffPanel(base: string, tv: TemplateVersion, siblings: TemplateVersion[]): HTMLElement {
  const others = siblings
    .filter((s) => s.version !== tv.version)
    .sort((a, b) => compareVersions(b.version, a.version));
  const section = h('section', { class: 'panel', id: 'version-diff' }, h('h2', {}, t('admin.diff.title')));
  if (others.length === 0) {
    const diagram = h('div', { id: 'diff-diagrams', class: 'admin-diagrams' });
    section.append(h('p', { class: 'empty' }, t('admin.diff.only')), diagram);
    void drawDiagrams(diagram, base, null, tv.version, [tv, ...siblings], null);
    return section;
  }
  const initial = defaultOther(tv, siblings)!;
  const select = h(
    'select',
    { id: 'diff-other' },
    ...others.map((o) =>
      h(
        'option',
        { value: o.version, selected: o.version === initial.version },
        `${o.version} · ${templateStatusLabel(o.status)}`,
      ),
    ),
  );
  const result = h('div', { id: 'diff-result' });
  const compare = async () => {
    const other = select.value;
    const [from, to] = compareVersions(other, tv.version) < 0 ? [other, tv.version] : [tv.version, other];
    show(result, h('p', { class: 'loading' }, t('admin.loading')));
    try {
      const diff = await request<TemplateDiff>(
        'GET',
        `${base}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      );
      const diagram = diff.identical ? null : h('div', { id: 'diff-diagrams', class: 'admin-diagrams' });
      show(result, ...diffView(diff, diagram, (id) => drawn?.focus(id)));
      if (diagram) await drawDiagrams(diagram, base, from, to, siblings, diff);
    } catch (error) {
      show(result, h('p', { class: 'message error', role: 'alert' }, problemText(error)));
    }
  };
  select.addEventListener('change', () => void compare());
  section.append(
    h(
      'div',
      { class: 'filters admin-filters' },
      h('label', { for: 'diff-other' }, t('admin.diff.compareWith')),
      select,
    ),
    result,
  );
  void compare();
  return section;
}

type Kind = 'added' | 'removed' | 'changed';
const KINDS: Record<Kind, MessageKey> = {
  added: 'admin.diff.added',
  removed: 'admin.diff.removed',
  changed: 'admin.diff.changed',
};

function diffView(
  diff: TemplateDiff,
  diagram: HTMLElement | null,
  focus: (id: string) => void,
): HTMLElement[] {
  const summary = h(
    'p',
    { class: 'admin-diff-summary' },
    t('admin.diff.summary', { from: diff.from, to: diff.to }),
  );
  if (diff.identical || !diagram)
    return [summary, h('p', { class: 'empty', id: 'diff-identical' }, t('admin.diff.identical'))];
  const groups: HTMLElement[] = [summary, diagram];
  const badge = (kind: Kind) => h('span', { class: `badge diff-${kind}` }, t(KINDS[kind]));
  const item = (kind: Kind, title: string, ...more: (Node | null)[]) =>
    h(
      'li',
      { class: `diff-${kind}` },
      h('div', { class: 'admin-diff-item' }, badge(kind), h('span', {}, title)),
      ...more,
    );
  const element = (e: { id: string; name: string | null; kind?: string }) =>
    `${e.name ? `${e.name} ` : ''}(${e.id}${e.kind ? ` · ${e.kind}` : ''})`;
  const group = (id: string, key: MessageKey, items: HTMLElement[]) => {
    if (items.length > 0)
      groups.push(
        h(
          'div',
          { class: 'admin-diff-group', id },
          h('h3', {}, t(key)),
          h('ul', { class: 'admin-diff' }, ...items),
        ),
      );
  };

  group(
    'diff-manifest',
    'admin.diff.manifest',
    diff.manifest.length > 0 ? [h('li', { class: 'diff-changed' }, changesTable(diff.manifest))] : [],
  );
  // A process element's line shows it on the diagrams when clicked.
  const shown = (li: HTMLElement, id: string) => {
    li.dataset.element = id;
    li.tabIndex = 0;
    li.title = t('admin.diff.showOnDiagram');
    li.classList.add('admin-diff-element');
    const pick = (event: Event) => {
      if ((event.target as HTMLElement).closest('table')) return;
      focus(id);
    };
    li.addEventListener('click', pick);
    li.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        pick(event);
      }
    });
    return li;
  };
  group('diff-process', 'admin.diff.process', [
    ...diff.process.added.map((e) => shown(item('added', element(e)), e.id)),
    ...diff.process.removed.map((e) => shown(item('removed', element(e)), e.id)),
    ...diff.process.changed.map((e) => shown(item('changed', element(e), changesTable(e.changes)), e.id)),
  ]);
  group('diff-forms', 'admin.diff.forms', [
    ...diff.forms.added.map((key) => item('added', t('admin.diff.form', { key }))),
    ...diff.forms.removed.map((key) => item('removed', t('admin.diff.form', { key }))),
    ...diff.forms.changed.flatMap((form) => {
      const fields = [
        ...form.fields.added.map((f) => item('added', fieldName(f))),
        ...form.fields.removed.map((f) => item('removed', fieldName(f))),
        ...form.fields.changed.map((f) => item('changed', fieldName(f), changesTable(f.changes))),
      ];
      return [
        item(
          'changed',
          t('admin.diff.form', { key: form.key }),
          fields.length > 0
            ? h('ul', { class: 'admin-diff nested' }, ...fields)
            : h('p', { class: 'note' }, t('admin.diff.formOnly')),
        ),
      ];
    }),
  ]);
  if (diff.readme) groups.push(h('p', { class: 'note', id: 'diff-readme' }, t('admin.diff.readme')));
  return groups;
}

/** Where a diagram is drawn until the page changes: destroyed then with its viewers. */
let drawn: DiagramDiff | null = null;
addEventListener('hashchange', () => {
  drawn?.destroy();
  drawn = null;
});

/**
 * The process of `to` drawn beside that of `from`, with the elements the diff reports marked; of
 * `to` alone when there is nothing to compare with. A version whose diagram cannot be drawn leaves a
 * note, and the list of changes stands.
 */
async function drawDiagrams(
  into: HTMLElement,
  base: string,
  from: string | null,
  to: string,
  versions: TemplateVersion[],
  diff: TemplateDiff | null,
): Promise<void> {
  show(into, h('p', { class: 'loading' }, t('admin.diff.diagramLoading')));
  const title = (version: string) => {
    const status = versions.find((v) => v.version === version)?.status;
    return `${t('admin.version.version')} ${version}${status ? ` · ${templateStatusLabel(status)}` : ''}`;
  };
  const processOf = async (version: string) => {
    const files = await request<{ files: Record<string, string> }>(
      'GET',
      `${base}/versions/${encodeURIComponent(version)}/files`,
    );
    return files.files['process.bpmn'] ?? '';
  };
  const ids = (list: { id: string; kind?: string }[]) =>
    list.filter((e) => e.kind !== 'process').map((e) => e.id);
  try {
    const [{ createDiagramDiff }, before, after] = await Promise.all([
      import('./diagram.ts'),
      from ? processOf(from) : Promise.resolve(null),
      processOf(to),
    ]);
    if (!into.isConnected) return;
    show(into);
    drawn?.destroy();
    drawn = await createDiagramDiff(into, {
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
  } catch (error) {
    show(
      into,
      h(
        'p',
        { class: 'note', id: 'diff-diagram-problem' },
        t('admin.diff.diagramFailed', { problem: problemText(error) }),
      ),
    );
  }
}

const fieldName = (f: { label: string; pointer: string; type?: string }) =>
  `${f.label} (${f.pointer}${f.type ? ` · ${f.type}` : ''})`;

function changesTable(changes: ValueChange[]): HTMLElement {
  return table(
    { class: 'admin-changes' },
    [t('admin.diff.path'), t('admin.diff.before'), t('admin.diff.after')],
    changes.map((c) =>
      h(
        'tr',
        {},
        h('td', {}, h('code', {}, c.path || '/')),
        h('td', { class: 'diff-old' }, valueText(c.old)),
        h('td', { class: 'diff-new' }, valueText(c.new)),
      ),
    ),
  );
}
