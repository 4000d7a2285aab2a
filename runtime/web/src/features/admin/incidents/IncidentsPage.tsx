import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { formatInstant } from '../../../time.ts';
import { Problem } from '../../../api.ts';
import { api, type Schemas } from '../../../api/client.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { Field, fieldProps } from '../../../ui/Field.tsx';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { ModalForm, useDialog } from '../../../ui/ModalForm.tsx';
import { problemText } from '../../../ui/problem.ts';
import { PageHead } from '../common.tsx';

type Incident = Schemas['Incident'];

type Instance = Schemas['ProcessInstance'];

export interface IncidentsData {
  incidents: Incident[];
  /** The process instances the incidents stopped, by id (one that cannot be read is left out). */
  instances: Map<string, Instance>;
}

export async function loadIncidents(): Promise<IncidentsData> {
  const { incidents } = await api.get('/api/incidents');
  const instances = new Map<string, Instance>();
  await Promise.all(
    [...new Set(incidents.map((i) => i.instanceId))].map(async (id) => {
      try {
        instances.set(id, await api.get('/api/instances/{id}', { path: { id } }));
      } catch {
        // The list still shows the instance by its id.
      }
    }),
  );
  return { incidents, instances };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showIncidents(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <IncidentsPage me={me} initial={await loadIncidents()} />);
}

/**
 * Open incidents: where a process instance cannot go on by itself (a failing service, no matching
 * flow). Someone with the authority to edit records retries the element; correcting variables
 * first needs the authority to retry with corrected variables and a reason. The outcome is shown.
 */
export function IncidentsPage(props: { me: Me; initial: IncidentsData }) {
  const [data, setData] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [dialog, open] = useDialog();
  const mayRetry = props.me.permissions.includes('records.edit');

  const retry = async (incident: Incident) => {
    setNotice(null);
    let result: Instance | null = null;
    const ok = await open((close) => (
      <RetryDialog incident={incident} retried={(after) => (result = after)} onClose={close} />
    ));
    if (!ok || !result) return;
    const after: Instance = result;
    const again = after.incidents.length > 0;
    setNotice({
      kind: again ? 'error' : 'success',
      content: again
        ? t('admin.incidents.failedAgain', { element: after.incidents.map((i) => i.elementId).join(', ') })
        : after.status === 'completed'
          ? t('admin.incidents.completed')
          : t('admin.incidents.goesOn', {
              waits:
                after.openTasks.map((task) => task.name ?? task.elementId).join(', ') ||
                t('admin.incidents.nothingOpen'),
            }),
    });
    setData(await loadIncidents());
  };

  const { incidents, instances } = data;
  return (
    <>
      <PageHead title={t('admin.incidents.title')} />
      <p class="note admin-intro">{t('admin.incidents.intro')}</p>
      <Notice id="incident-outcome" block notice={notice} />
      {incidents.length > 0 ? (
        <p class="count" id="incident-count">
          {t('admin.incidents.count', { count: incidents.length })}
        </p>
      ) : null}
      {incidents.length === 0 ? (
        <p class="empty" id="incidents-empty">
          {t('admin.incidents.empty')}
        </p>
      ) : (
        <Table
          id="incidents"
          rows={incidents}
          rowKey={(incident) => incident.id}
          rowProps={(incident) => ({ 'data-incident': incident.id })}
          columns={[
            { heading: t('admin.incidents.since'), cell: (incident) => formatInstant(incident.createdAt) },
            {
              heading: t('admin.incidents.instance'),
              cell: (incident) => {
                const instance = instances.get(incident.instanceId);
                return (
                  <>
                    {instance ? (
                      <strong class="admin-name">
                        {`${instance.key} · ${t('admin.incidents.processVersion', { version: instance.version })}`}
                      </strong>
                    ) : null}
                    {instance?.businessKey ? <span class="admin-sub">{instance.businessKey}</span> : null}
                    <code class="admin-sub admin-id">{incident.instanceId}</code>
                  </>
                );
              },
            },
            { heading: t('admin.incidents.element'), cell: (incident) => <code>{incident.elementId}</code> },
            {
              heading: t('admin.incidents.message'),
              class: 'admin-details',
              cell: (incident) => incident.message,
            },
            {
              heading: t('admin.incidents.action'),
              class: 'actions',
              cell: (incident) =>
                mayRetry ? (
                  <button
                    type="button"
                    class="primary"
                    data-action="retry"
                    data-incident={incident.id}
                    onClick={() => {
                      retry(incident).catch(reportError);
                    }}
                  >
                    {t('admin.incidents.retry')}
                  </button>
                ) : (
                  <span class="note">{t('admin.incidents.noRetry')}</span>
                ),
            },
          ]}
        />
      )}
      {dialog}
    </>
  );
}

/** The retry of an incident's element, with corrected variables (and then a reason) if need be. */
function RetryDialog(props: {
  incident: Incident;
  retried(after: Instance): void;
  onClose(done: boolean): void;
}) {
  const { incident } = props;
  const [variables, setVariables] = useState('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<{ variables?: string; reason?: string }>({});
  const submit = async (): Promise<string | null> => {
    setErrors({});
    let corrected: unknown = undefined;
    if (variables.trim()) {
      try {
        corrected = JSON.parse(variables);
      } catch {
        corrected = null;
      }
      if (corrected === null || typeof corrected !== 'object' || Array.isArray(corrected)) {
        setErrors({ variables: t('admin.incidents.notAnObject') });
        return t('admin.incidents.notAnObject');
      }
    }
    if (corrected && !reason.trim()) {
      setErrors({ reason: t('admin.incidents.reasonMissing') });
      return t('admin.incidents.reasonMissing');
    }
    try {
      props.retried(
        await api.post('/api/incidents/{id}/retry', {
          path: { id: incident.id },
          // `corrected` was checked above to be an object (not a list).
          body: corrected
            ? {
                variables: corrected as Record<string, unknown>,
                ...(reason.trim() && { reason: reason.trim() }),
              }
            : {},
        }),
      );
      return null;
    } catch (error) {
      if (error instanceof Problem) {
        const here = error.errors.filter((e) => e.pointer.startsWith('/variables'));
        const why = error.errors.filter((e) => e.pointer === '/reason');
        setErrors({
          ...(here.length > 0 && { variables: here.map((e) => e.message).join('; ') }),
          ...(why.length > 0 && { reason: why.map((e) => e.message).join('; ') }),
        });
      }
      return problemText(error);
    }
  };
  return (
    <ModalForm
      id="retry-dialog"
      title={t('admin.incidents.retryTitle')}
      confirm={t('admin.incidents.retry')}
      submit={submit}
      onClose={props.onClose}
    >
      <p>{t('admin.incidents.retryText', { element: incident.elementId })}</p>
      <p class="note">{incident.message}</p>
      <Field
        id="retry-variables"
        label={t('admin.incidents.variables')}
        hint={t('admin.incidents.variablesHint')}
        error={errors.variables ?? null}
      >
        <textarea
          rows={4}
          spellcheck={false}
          class="admin-code"
          {...fieldProps('retry-variables', errors.variables)}
          value={variables}
          onInput={(event) => setVariables(event.currentTarget.value)}
        />
      </Field>
      <Field
        id="retry-reason"
        label={t('admin.incidents.reason')}
        hint={t('admin.incidents.reasonHint')}
        error={errors.reason ?? null}
      >
        <input
          type="text"
          maxLength={1000}
          {...fieldProps('retry-reason', errors.reason)}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </Field>
    </ModalForm>
  );
}
