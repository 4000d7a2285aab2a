import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { download, request } from '../api.ts';
import { formatInstant } from '../time.ts';
import { statusLabel } from './records.ts';
import { onAsync } from '../events.ts';

interface Person {
  id: string;
  username: string;
  printedName: string;
}

interface DossierValue {
  pointer: string;
  label: string;
  unit: string | null;
  critical: boolean;
  type: string;
  value: unknown;
  choice: string | null;
  source: 'manual' | 'device' | 'calculated';
  device: { deviceId: string; channel: string | null; raw: string } | null;
  naReason: string | null;
  enteredBy: Person | null;
  enteredAt: string;
  changedAfterEntry: boolean;
  originalValue: unknown;
  originalChoice: string | null;
  changedBy: Person | null;
  changedAt: string | null;
  changeReason: string | null;
  verifiedBy: Person | null;
  verifiedAt: string | null;
}

interface DossierException {
  id: string;
  taskId: string | null;
  step: string | null;
  pointer: string | null;
  severity: string;
  blocking: boolean;
  message: string;
  raisedAt: string;
}

interface Signature {
  id: string;
  meaning: string;
  reason: string | null;
  contentChanged: boolean;
  manifestation: { text: string };
  withdrawn: { at: string; reason: string } | null;
}

interface AuditEvent {
  seq: number;
  recordId: string;
  type: string;
  actorId: string | null;
  actorName: string;
  at: string;
  payload: Record<string, unknown>;
  reason: string | null;
  hash: string;
}

export interface Dossier {
  record: {
    id: string;
    number: string;
    title: string;
    status: string;
    template: { id: string; version: string; title: string } | null;
    owner: Person | null;
    createdAt: string;
    dueAt: string | null;
    overdue: boolean;
    parent: { id: string; number: string } | null;
    raisedFrom: { id: string; number: string } | null;
    children: { id: string; number: string; status: string }[];
    openTasks: { id: string; name: string | null; elementId: string }[];
  };
  steps: {
    taskId: string;
    elementId: string;
    name: string;
    status: 'open' | 'completed' | 'cancelled';
    completedAt: string | null;
    completedBy: Person | null;
    form: { key: string; version: number; title: string | null } | null;
    values: DossierValue[];
    exceptions: DossierException[];
    signatureIds: string[];
  }[];
  exceptions: DossierException[];
  signatures: Signature[];
  audit: AuditEvent[];
}

const SEVERITY_KEYS: Record<string, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
};
export const severityLabel = (severity: string) =>
  SEVERITY_KEYS[severity] ? t(SEVERITY_KEYS[severity]) : severity;

const STEP_KEYS: Record<string, MessageKey> = {
  open: 'review.stepOpen',
  completed: 'review.stepCompleted',
  cancelled: 'review.stepCancelled',
};

const who = (p: Person | null) => (p ? `${p.printedName} (${p.username})` : '—');

/** A value as a reader takes it in: numbers with their unit, lists and objects compactly. */
function valueText(value: unknown, unit: string | null): string {
  if (value === null || value === undefined || value === '') return '—';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** A value of a field: a choice by its label, an instant in the plant's zone, the rest as `valueText`. */
function fieldText(v: DossierValue, value: unknown, choice: string | null): string {
  if (choice !== null) return choice;
  if (v.type === 'datetime' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatInstant(value);
  return valueText(value, v.unit);
}

function provenanceText(v: DossierValue): string {
  if (v.source === 'device' && v.device)
    return t('review.fromDevice', { device: v.device.deviceId, raw: v.device.raw });
  if (v.source === 'calculated') return t('review.calculated');
  return t('review.manual');
}

/**
 * The record as QA reviews it: header with template version, every step's values with provenance,
 * exceptions highlighted by severity, values changed after entry marked, signatures with their
 * manifestation, the audit trail (filterable, exportable) and the PDF printout.
 */
export async function recordView(container: HTMLElement, idOrNumber: string): Promise<void> {
  const dossier = await request<Dossier>('GET', `/api/records/${encodeURIComponent(idOrNumber)}/dossier`);
  const { record } = dossier;
  const failure = h('p', { class: 'message error', role: 'alert', hidden: true });
  const pdf = h('button', { type: 'button', id: 'record-pdf', class: 'primary' }, t('review.pdf'));
  onAsync(pdf, 'click', async () => {
    pdf.disabled = true;
    failure.hidden = true;
    try {
      await download(`/api/records/${record.id}/printout`);
    } catch (error) {
      failure.textContent = t('common.error', { detail: (error as Error).message });
      failure.hidden = false;
    } finally {
      pdf.disabled = false;
    }
  });
  const link = (r: { id: string; number: string }) => h('a', { href: `#/record/${r.number}` }, r.number);
  const facts: [MessageKey, Node | string][] = [
    [
      'records.template',
      record.template
        ? `${record.template.title} (${record.template.id}, ${t('common.version', { version: record.template.version })})`
        : '—',
    ],
    ['records.status', statusLabel(record.status)],
    ['records.owner', who(record.owner)],
    ['review.created', formatInstant(record.createdAt)],
    ['records.due', formatInstant(record.dueAt)],
  ];
  if (record.parent) facts.push(['review.parent', link(record.parent)]);
  if (record.raisedFrom) facts.push(['review.raisedFrom', link(record.raisedFrom)]);
  const signatures = new Map(dossier.signatures.map((s) => [s.id, s]));

  show(
    container,
    h(
      'div',
      { class: 'record-head' },
      h('h1', {}, h('span', { id: 'record-number' }, record.number), ` · ${record.title}`),
      h('div', { class: 'actions' }, pdf),
    ),
    failure,
    h(
      'dl',
      { class: 'facts' },
      ...facts.flatMap(([label, value]) => [h('dt', {}, t(label)), h('dd', {}, value)]),
    ),
    record.overdue ? h('p', { class: 'message error' }, t('tasks.overdue')) : null,
    openSteps(record.openTasks),
    record.children.length > 0
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, t('review.children')),
          h(
            'ul',
            { class: 'plain' },
            ...record.children.map((c) => h('li', {}, link(c), ` · ${statusLabel(c.status)}`)),
          ),
        )
      : null,
    exceptionsSection(dossier.exceptions),
    h(
      'section',
      { id: 'record-steps' },
      h('h2', {}, t('review.steps')),
      ...dossier.steps.map((step) =>
        h(
          'article',
          {
            class: `card step-record${step.exceptions.length > 0 ? ' has-exceptions' : ''}`,
            'data-step': step.elementId,
          },
          h('h3', {}, step.name),
          h(
            'p',
            { class: 'task-meta' },
            h('span', {}, t(STEP_KEYS[step.status] ?? 'review.stepOpen')),
            step.completedBy
              ? h(
                  'span',
                  {},
                  t('review.completedBy', {
                    who: who(step.completedBy),
                    at: formatInstant(step.completedAt),
                  }),
                )
              : null,
            step.form
              ? h('span', {}, t('review.form', { key: step.form.key, version: step.form.version }))
              : null,
          ),
          ...step.signatureIds
            .map((id) => signatures.get(id))
            .filter((s): s is Signature => s !== undefined)
            .map((s) => h('p', { class: 'manifestation' }, s.manifestation.text)),
          step.values.length > 0 ? valuesTable(step.values, step.exceptions) : null,
        ),
      ),
    ),
    signaturesSection(dossier.signatures),
    auditSection(record.id, record.number, dossier.audit),
  );
}

function openSteps(tasks: Dossier['record']['openTasks']): HTMLElement | null {
  if (tasks.length === 0) return null;
  return h(
    'section',
    { class: 'card', id: 'record-open' },
    h('h2', {}, t('review.openSteps')),
    h(
      'ul',
      { class: 'plain' },
      ...tasks.map((task) => h('li', {}, h('a', { href: `#/task/${task.id}` }, task.name ?? task.elementId))),
    ),
  );
}

function exceptionsSection(exceptions: DossierException[]): HTMLElement {
  return h(
    'section',
    { id: 'record-exceptions' },
    h('h2', {}, t('step.exceptions')),
    exceptions.length === 0
      ? h('p', { class: 'empty' }, t('review.noExceptions'))
      : h(
          'ul',
          { class: 'exceptions' },
          ...exceptions.map((e) =>
            h(
              'li',
              { class: `exception severity-${e.severity}` },
              h('span', { class: `badge severity-${e.severity}` }, severityLabel(e.severity)),
              e.blocking ? h('span', { class: 'badge danger' }, t('step.blocking')) : null,
              h('strong', {}, e.step ?? ''),
              ` ${e.message} · ${formatInstant(e.raisedAt)}`,
            ),
          ),
        ),
  );
}

function valuesTable(values: DossierValue[], exceptions: DossierException[]): HTMLElement {
  const raised = new Map<string, DossierException>();
  for (const e of exceptions) if (e.pointer) raised.set(e.pointer, e);
  return h(
    'table',
    { class: 'records values' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...(
          ['review.field', 'review.value', 'review.provenance', 'review.entered', 'review.verified'] as const
        ).map((k) => h('th', {}, t(k))),
      ),
    ),
    h(
      'tbody',
      {},
      ...values.map((v) => {
        const exception = raised.get(v.pointer);
        const classes = [v.changedAfterEntry && 'changed', exception && `severity-${exception.severity}`]
          .filter(Boolean)
          .join(' ');
        return h(
          'tr',
          { class: classes || undefined, 'data-pointer': v.pointer },
          h('td', {}, v.label, v.critical ? h('span', { class: 'badge' }, t('review.critical')) : null),
          h(
            'td',
            {},
            v.naReason !== null
              ? t('review.na', { reason: v.naReason })
              : h('strong', { class: 'value' }, fieldText(v, v.value, v.choice)),
            exception
              ? h(
                  'div',
                  { class: 'exception-note' },
                  h(
                    'span',
                    { class: `badge severity-${exception.severity}` },
                    severityLabel(exception.severity),
                  ),
                  ` ${exception.message}`,
                )
              : null,
            v.changedAfterEntry
              ? h(
                  'div',
                  { class: 'changed-note' },
                  h('span', { class: 'badge changed' }, t('review.changed')),
                  ` ${t('review.changedDetail', {
                    original: fieldText(v, v.originalValue, v.originalChoice),
                    who: who(v.changedBy),
                    at: formatInstant(v.changedAt),
                    reason: v.changeReason ?? '—',
                  })}`,
                )
              : null,
          ),
          h('td', {}, provenanceText(v)),
          h('td', {}, who(v.enteredBy), h('br'), formatInstant(v.enteredAt)),
          h('td', {}, v.verifiedBy ? [who(v.verifiedBy), formatInstant(v.verifiedAt)].join(' · ') : '—'),
        );
      }),
    ),
  );
}

function signaturesSection(list: Signature[]): HTMLElement {
  return h(
    'section',
    { id: 'record-signatures' },
    h('h2', {}, t('review.signatures')),
    list.length === 0
      ? h('p', { class: 'empty' }, t('review.noSignatures'))
      : h(
          'ul',
          { class: 'signatures' },
          ...list.map((s) =>
            h(
              'li',
              { class: s.withdrawn ? 'withdrawn' : undefined },
              h('strong', { class: 'manifestation' }, s.manifestation.text),
              s.reason ? h('span', {}, t('review.reason', { reason: s.reason })) : null,
              s.contentChanged ? h('span', { class: 'badge danger' }, t('review.contentChanged')) : null,
              s.withdrawn
                ? h(
                    'span',
                    { class: 'badge danger' },
                    t('review.withdrawn', { at: formatInstant(s.withdrawn.at), reason: s.withdrawn.reason }),
                  )
                : null,
            ),
          ),
        ),
  );
}

/** The audit trail of the record, narrowed by who, what and when; exported as the server writes it. */
function auditSection(recordId: string, number: string, events: AuditEvent[]): HTMLElement {
  const actors = [...new Map(events.map((e) => [e.actorId ?? '', e.actorName])).entries()];
  const actor = h(
    'select',
    { id: 'audit-actor', 'aria-label': t('review.auditWho') },
    h('option', { value: '' }, t('review.auditAnyone')),
    ...actors.map(([id, name]) => h('option', { value: id }, name)),
  );
  const type = h(
    'select',
    { id: 'audit-type', 'aria-label': t('review.auditWhat') },
    h('option', { value: '' }, t('review.auditAnything')),
    ...[...new Set(events.map((e) => e.type))].sort().map((v) => h('option', { value: v }, v)),
  );
  const from = h('input', { type: 'date', id: 'audit-from', 'aria-label': t('review.auditFrom') });
  const to = h('input', { type: 'date', id: 'audit-to', 'aria-label': t('review.auditTo') });
  const count = h('p', { class: 'count', id: 'audit-count' });
  const body = h('tbody', {});
  const failure = h('p', { class: 'message error', role: 'alert', hidden: true });
  /** A day picked is a day where the browser is; the bounds go to the server as instants. */
  const bounds = () => ({
    from: from.value ? new Date(`${from.value}T00:00:00`).toISOString() : '',
    to: to.value ? new Date(new Date(`${to.value}T00:00:00`).getTime() + 86_400_000).toISOString() : '',
  });
  const draw = () => {
    const { from: start, to: end } = bounds();
    const shown = events.filter(
      (e) =>
        (!actor.value || (e.actorId ?? '') === actor.value) &&
        (!type.value || e.type === type.value) &&
        (!start || e.at >= start) &&
        (!end || e.at < end),
    );
    count.textContent = t('review.auditCount', { shown: shown.length, total: events.length });
    body.replaceChildren(
      ...shown.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, formatInstant(e.at)),
          h('td', {}, e.actorName),
          h('td', {}, h('code', {}, e.type)),
          h('td', { class: 'details' }, summary(e.payload)),
          h('td', {}, e.reason ?? ''),
        ),
      ),
    );
  };
  for (const control of [actor, type, from, to]) control.addEventListener('change', draw);
  const exporter = (format: 'csv' | 'json') => {
    const button = h(
      'button',
      { type: 'button', id: `audit-${format}` },
      format === 'csv' ? t('review.exportCsv') : t('review.exportJson'),
    );
    onAsync(button, 'click', async () => {
      failure.hidden = true;
      const query = new URLSearchParams({ format });
      if (actor.value) query.set('actor', actor.value);
      const { from: start, to: end } = bounds();
      if (start) query.set('from', start);
      if (end) query.set('to', end);
      try {
        await download(`/api/records/${recordId}/audit?${query}`, `${number}-audit-trail.${format}`);
      } catch (error) {
        failure.textContent = t('common.error', { detail: (error as Error).message });
        failure.hidden = false;
      }
    });
    return button;
  };
  draw();
  return h(
    'section',
    { id: 'record-audit' },
    h('h2', {}, t('review.audit')),
    h('div', { class: 'filters audit-filters' }, actor, type, from, to, exporter('csv'), exporter('json')),
    failure,
    count,
    h(
      'table',
      { class: 'records audit' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...(
            [
              'review.auditAt',
              'review.auditWho',
              'review.auditWhat',
              'review.auditDetails',
              'sign.reason',
            ] as const
          ).map((k) => h('th', {}, t(k))),
        ),
      ),
      body,
    ),
  );
}

/** An event's payload in one line: its fields and values, long ones cut. */
function summary(payload: Record<string, unknown>): string {
  return Object.entries(payload)
    .map(([key, value]) => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return `${key}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
    })
    .join('; ');
}
