import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { download, Problem } from '../../../api.ts';
import { api, type Schemas } from '../../../api/client.ts';
import { formatInstant } from '../../../time.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { ConfirmDialog, ReasonDialog, useDialog } from '../../../ui/ModalForm.tsx';
import { attempt, problemText } from '../../../ui/problem.ts';
import {
  adminMeaningLabel as meaningLabel,
  SignatureDialog,
  signatureProblem,
} from '../../../ui/SignatureDialog.tsx';
import { valueText } from '../common.tsx';
import { StatusBadge, templateStatusLabel, type TemplateVersion } from './lifecycle.tsx';
import { VersionDiff } from './VersionDiff.tsx';

type AuditEvent = Schemas['AuditEvent'];

/** A change an event's payload lists, as a diff of versions names one. */
type ValueChange = Schemas['TemplateDiff']['manifest'][number];

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

/** A version of a template with its audit trail and the other versions of the template. */
export interface VersionData {
  tv: TemplateVersion;
  events: AuditEvent[];
  siblings: TemplateVersion[];
}

/** `<templateId>/<version>` of the route → the path parameters of the version's operations. */
const versionOf = (param: string) => {
  const [templateId = '', version = ''] = param.split('/');
  return { templateId, version };
};

export async function loadVersion(param: string): Promise<VersionData> {
  const path = versionOf(param);
  const [tv, { events }, { templates: siblings }] = await Promise.all([
    api.get('/api/templates/{templateId}/versions/{version}', { path }),
    api.get('/api/templates/{templateId}/versions/{version}/history', { path }),
    api.get('/api/templates', { query: { templateId: path.templateId } }),
  ]);
  return { tv, events, siblings };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showTemplateVersion(
  container: HTMLElement,
  me: Me,
  param: string,
): Promise<void> {
  mountPage(container, <TemplateVersionPage me={me} param={param} initial={await loadVersion(param)} />);
}

/**
 * One version of a template: its manifest, what changed against another version (G1), its audit
 * trail, and the lifecycle acts this person may make (D1): submit, approve or reject with an
 * electronic signature, make effective, retire; and its export as a package.
 */
export function TemplateVersionPage(props: { me: Me; param: string; initial: VersionData }) {
  const { me, param } = props;
  const path = versionOf(param);
  const [data, setData] = useState(props.initial);
  // Each act draws the version anew, its comparison included.
  const [generation, setGeneration] = useState(0);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [dialog, open] = useDialog();
  const { tv, events, siblings } = data;
  const name = `${tv.title} ${tv.version}`;

  const redraw = async (text: string) => {
    setData(await loadVersion(param));
    setGeneration((g) => g + 1);
    setNotice({ kind: 'success', content: text });
  };

  const manage = me.permissions.includes('templates.manage');
  const approve = me.permissions.includes('templates.approve');
  // Who imported or revised it is its author, and approves nothing of it (B5).
  const authored =
    tv.createdBy === me.user.id ||
    events.some((e) => e.type === 'template.revised' && e.actorId === me.user.id);
  const button = (id: string, label: string, primary: boolean, run: () => Promise<void>) => (
    <button
      key={id}
      type="button"
      id={id}
      class={primary ? 'primary' : undefined}
      onClick={() => {
        setNotice(null);
        run().catch(reportError);
      }}
    >
      {label}
    </button>
  );
  const signed = (meaning: 'Approved' | 'Rejected') => async () => {
    let refused: unknown = null;
    const rejecting = meaning === 'Rejected';
    const ok = await open((close) => (
      <SignatureDialog
        id={rejecting ? 'reject-dialog' : 'approve-dialog'}
        title={t(rejecting ? 'admin.version.rejectTitle' : 'admin.version.approveTitle', { name })}
        act={t(rejecting ? 'admin.version.rejectAct' : 'admin.version.approveAct', { name })}
        meaning={meaning}
        wording="admin"
        signer={me.user}
        reason={rejecting ? 'required' : 'none'}
        confirm={t('admin.sign.submit')}
        sign={async (signature) => {
          try {
            if (rejecting)
              // The dialog asks a rejection's reason before it sends (B3).
              await api.post('/api/templates/{templateId}/versions/{version}/reject', {
                path,
                body: { password: signature.password, reason: signature.reason ?? '' },
              });
            else
              await api.post('/api/templates/{templateId}/versions/{version}/approve', {
                path,
                body: signature,
              });
            return null;
          } catch (error) {
            if (signatureProblem(error) || (error instanceof Problem && error.status === 400))
              return problemText(error);
            refused = error;
            return null;
          }
        }}
        onClose={close}
      />
    ));
    if (!ok) return;
    if (refused) return setNotice({ kind: 'error', content: problemText(refused) });
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
          const ok = await open((close) => (
            <ConfirmDialog
              id="submit-dialog"
              title={t('admin.version.submitTitle', { name })}
              text={t('admin.version.submitText')}
              confirm={t('admin.version.submit')}
              send={() =>
                attempt(() => api.post('/api/templates/{templateId}/versions/{version}/submit', { path }))
              }
              onClose={close}
            />
          ));
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
          const ok = await open((close) => (
            <ConfirmDialog
              id="effective-dialog"
              title={t('admin.version.effectiveTitle', { name })}
              text={
                effective
                  ? t('admin.version.effectiveSupersedes', { version: effective.version })
                  : t('admin.version.effectiveText')
              }
              confirm={t('admin.version.makeEffective')}
              send={() =>
                attempt(() => api.post('/api/templates/{templateId}/versions/{version}/effective', { path }))
              }
              onClose={close}
            />
          ));
          if (ok) await redraw(t('admin.version.madeEffective', { name }));
        })
      : null,
    manage && tv.status !== 'retired'
      ? button('version-retire', t('admin.version.retire'), false, async () => {
          const ok = await open((close) => (
            <ReasonDialog
              id="retire-dialog"
              title={t('admin.version.retireTitle', { name })}
              text={t('admin.version.retireText')}
              confirm={t('admin.version.retireConfirm')}
              send={(reason) =>
                attempt(() =>
                  api.post('/api/templates/{templateId}/versions/{version}/retire', {
                    path,
                    body: { reason },
                  }),
                )
              }
              onClose={close}
            />
          ));
          if (ok) await redraw(t('admin.version.retired', { name }));
        })
      : null,
    button('version-export', t('admin.version.export'), false, async () => {
      try {
        await download(
          `/api/templates/${encodeURIComponent(path.templateId)}/versions/${encodeURIComponent(path.version)}/export`,
        );
      } catch (error) {
        setNotice({ kind: 'error', content: problemText(error) });
      }
    }),
  ];
  const approval = [...events].reverse().find((e) => e.type === 'signature.applied');

  return (
    <>
      <p class="crumbs">
        <a href="#/templates">{t('admin.version.back')}</a>
      </p>
      <div class="admin-head">
        <h1 id="version-title">{name}</h1>
        <span id="version-status">
          <StatusBadge status={tv.status} />
        </span>
      </div>
      {tv.description ? <p class="admin-description">{tv.description}</p> : null}
      <Notice id="version-notice" notice={notice} />
      <div class="admin-row-actions admin-lifecycle" id="version-actions">
        {actions}
      </div>
      {tv.status === 'in_review' && approve && authored ? (
        <p class="note" id="version-author">
          {t('admin.version.authorCannotApprove')}
        </p>
      ) : tv.status === 'in_review' && !approve ? (
        <p class="note">{t('admin.version.waitsForApproval')}</p>
      ) : null}
      <section class="panel" id="version-manifest">
        <h2>{t('admin.version.manifest')}</h2>
        <Facts
          entries={[
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
            ['admin.version.parameterSets', tv.parameterSets.join(', ') || '—'],
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
            ['admin.version.contentHash', <code class="admin-hash">{tv.contentHash}</code>],
          ]}
        />
      </section>
      <VersionDiff key={generation} tv={tv} siblings={siblings} />
      <section class="panel" id="version-history">
        <h2>{t('admin.version.history')}</h2>
        <History events={events} />
      </section>
      {dialog}
    </>
  );
}

function Facts(props: { entries: [MessageKey, ComponentChildren][] }) {
  return (
    <dl class="admin-facts">
      {props.entries.map(([key, value]) => [
        <dt key={`t${key}`}>{t(key)}</dt>,
        <dd key={`d${key}`}>{value || '—'}</dd>,
      ])}
    </dl>
  );
}

function History(props: { events: AuditEvent[] }) {
  if (props.events.length === 0) return <p class="empty">{t('admin.version.noHistory')}</p>;
  return (
    <Table
      id="history"
      rows={props.events}
      rowKey={(e) => e.seq}
      rowProps={(e) => ({ 'data-type': e.type })}
      columns={[
        { heading: t('admin.history.at'), cell: (e) => formatInstant(e.at) },
        { heading: t('admin.history.event'), cell: (e) => eventLabel(e.type) },
        { heading: t('admin.history.by'), cell: (e) => e.actorName },
        { heading: t('admin.history.details'), class: 'admin-details', cell: (e) => eventDetails(e) },
      ]}
    />
  );
}

function eventDetails(e: AuditEvent): ComponentChildren[] {
  const lines: ComponentChildren[] = [];
  const line = (text: string, cls?: string) =>
    lines.push(
      <span key={lines.length} class={cls ?? 'admin-line'}>
        {text}
      </span>,
    );
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
