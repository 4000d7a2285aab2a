import { h, show } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { Problem, request } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../shell.ts';
import { adminDialog, fieldRow, markField, notice, pageHead, problemText, table } from './common.ts';

interface Incident {
  id: string;
  instanceId: string;
  elementId: string;
  message: string;
  createdAt: string;
}

interface Instance {
  id: string;
  key: string;
  version: number;
  status: string;
  businessKey: string | null;
  incidents: { id: string; elementId: string }[];
  openTasks: { name: string | null; elementId: string }[];
}

/**
 * Open incidents: where a process instance cannot go on by itself (a failing service, no matching
 * flow). Someone with the authority to edit records retries the element; correcting variables
 * first needs the authority to retry with corrected variables and a reason. The outcome is shown.
 */
export async function incidentsView(container: HTMLElement, me: Me, outcome?: HTMLElement): Promise<void> {
  const { incidents } = await request<{ incidents: Incident[] }>('GET', '/api/incidents');
  const instances = new Map<string, Instance>();
  await Promise.all(
    [...new Set(incidents.map((i) => i.instanceId))].map(async (id) => {
      try {
        instances.set(id, await request<Instance>('GET', `/api/instances/${id}`));
      } catch {
        // The list still shows the instance by its id.
      }
    }),
  );
  const mayRetry = me.permissions.includes('records.edit');
  const message = outcome ?? h('div', { class: 'message', id: 'incident-outcome', hidden: true });
  const reload = () => incidentsView(container, me, message);

  const retry = async (incident: Incident) => {
    message.hidden = true;
    const variables = h('textarea', { rows: '4', spellcheck: 'false', class: 'admin-code' });
    const variablesRow = fieldRow(
      'retry-variables',
      t('admin.incidents.variables'),
      variables,
      t('admin.incidents.variablesHint'),
    );
    const reason = h('input', { type: 'text', maxlength: '1000' });
    const reasonRow = fieldRow(
      'retry-reason',
      t('admin.incidents.reason'),
      reason,
      t('admin.incidents.reasonHint'),
    );
    let result: Instance | null = null;
    const ok = await adminDialog({
      id: 'retry-dialog',
      title: t('admin.incidents.retryTitle'),
      content: [
        h('p', {}, t('admin.incidents.retryText', { element: incident.elementId })),
        h('p', { class: 'note' }, incident.message),
        variablesRow.row,
        reasonRow.row,
      ],
      confirm: t('admin.incidents.retry'),
      submit: async () => {
        markField(variablesRow, null);
        markField(reasonRow, null);
        let corrected: unknown = undefined;
        if (variables.value.trim()) {
          try {
            corrected = JSON.parse(variables.value);
          } catch {
            corrected = null;
          }
          if (corrected === null || typeof corrected !== 'object' || Array.isArray(corrected)) {
            markField(variablesRow, t('admin.incidents.notAnObject'));
            return t('admin.incidents.notAnObject');
          }
        }
        if (corrected && !reason.value.trim()) {
          markField(reasonRow, t('admin.incidents.reasonMissing'));
          return t('admin.incidents.reasonMissing');
        }
        try {
          result = await request<Instance>(
            'POST',
            `/api/incidents/${incident.id}/retry`,
            corrected
              ? { variables: corrected, ...(reason.value.trim() && { reason: reason.value.trim() }) }
              : {},
          );
          return null;
        } catch (error) {
          if (error instanceof Problem) {
            const here = error.errors.filter((e) => e.pointer.startsWith('/variables'));
            if (here.length > 0) markField(variablesRow, here.map((e) => e.message).join('; '));
            const why = error.errors.filter((e) => e.pointer === '/reason');
            if (why.length > 0) markField(reasonRow, why.map((e) => e.message).join('; '));
          }
          return problemText(error);
        }
      },
    });
    if (!ok || !result) return;
    const after: Instance = result;
    const again = after.incidents.length > 0;
    notice(
      message,
      again ? 'error' : 'success',
      again
        ? t('admin.incidents.failedAgain', { element: after.incidents.map((i) => i.elementId).join(', ') })
        : after.status === 'completed'
          ? t('admin.incidents.completed')
          : t('admin.incidents.goesOn', {
              waits:
                after.openTasks.map((task) => task.name ?? task.elementId).join(', ') ||
                t('admin.incidents.nothingOpen'),
            }),
    );
    await reload();
  };

  const rows = incidents.map((incident) => {
    const instance = instances.get(incident.instanceId);
    const button = h(
      'button',
      { type: 'button', class: 'primary', 'data-action': 'retry', 'data-incident': incident.id },
      t('admin.incidents.retry'),
    );
    button.addEventListener('click', () => void retry(incident));
    return h(
      'tr',
      { 'data-incident': incident.id },
      h('td', {}, formatInstant(incident.createdAt)),
      h(
        'td',
        {},
        instance
          ? h(
              'strong',
              { class: 'admin-name' },
              `${instance.key} · ${t('admin.incidents.processVersion', { version: instance.version })}`,
            )
          : null,
        instance?.businessKey ? h('span', { class: 'admin-sub' }, instance.businessKey) : null,
        h('code', { class: 'admin-sub admin-id' }, incident.instanceId),
      ),
      h('td', {}, h('code', {}, incident.elementId)),
      h('td', { class: 'admin-details' }, incident.message),
      h(
        'td',
        { class: 'actions' },
        mayRetry ? button : h('span', { class: 'note' }, t('admin.incidents.noRetry')),
      ),
    );
  });
  show(
    container,
    pageHead(t('admin.incidents.title')),
    h('p', { class: 'note admin-intro' }, t('admin.incidents.intro')),
    message,
    incidents.length > 0
      ? h(
          'p',
          { class: 'count', id: 'incident-count' },
          t('admin.incidents.count', { count: incidents.length }),
        )
      : null,
    rows.length === 0
      ? h('p', { class: 'empty', id: 'incidents-empty' }, t('admin.incidents.empty'))
      : table(
          { id: 'incidents' },
          [
            t('admin.incidents.since'),
            t('admin.incidents.instance'),
            t('admin.incidents.element'),
            t('admin.incidents.message'),
            t('admin.incidents.action'),
          ],
          rows,
        ),
  );
}
