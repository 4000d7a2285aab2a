import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../../api/client.ts';
import { formatInstant } from '../../time.ts';
import { adminMeaningLabel } from '../../ui/SignatureDialog.tsx';
import { Message } from '../../ui/Message.tsx';
import { problemText } from '../../ui/problem.ts';
import { Table } from '../../ui/Table.tsx';
import { valueText } from './common.tsx';

type AuditEvent = Schemas['AuditEvent'];

const EVENT_KEYS: Record<string, MessageKey> = {
  'plugin.discovered': 'admin.event.pluginDiscovered',
  'plugin.changed': 'admin.event.pluginChanged',
  'plugin.refused': 'admin.event.pluginRefused',
  'plugin.enabled': 'admin.event.pluginEnabled',
  'plugin.disabled': 'admin.event.pluginDisabled',
  'plugin.loaded': 'admin.event.pluginLoaded',
  'plugin.load_failed': 'admin.event.pluginLoadFailed',
  'device.registered': 'admin.event.deviceRegistered',
  'device.changed': 'admin.event.deviceChanged',
  'signature.applied': 'admin.event.signed',
  'signature.withdrawn': 'admin.event.signatureWithdrawn',
};
/** An event of a plugin's or a device's trail in the person's language; one it does not know as it is. */
export const trailEventLabel = (type: string) => (EVENT_KEYS[type] ? t(EVENT_KEYS[type]) : type);

/** What an event of a plugin's or device's trail says, one line a fact: old → new for a change. */
function details(e: AuditEvent): ComponentChildren[] {
  const lines: string[] = [];
  if (e.type === 'signature.applied')
    lines.push(
      t('admin.history.signature', {
        meaning: adminMeaningLabel(String(e.payload.meaning ?? '')),
        signer: `${e.actorName} (${String(e.payload.signer ?? '')})`,
        at: formatInstant(e.at),
      }),
    );
  else if (Array.isArray(e.payload.changes))
    for (const c of e.payload.changes as { path: string; old: unknown; new: unknown }[])
      lines.push(`${c.path}: ${valueText(c.old)} → ${valueText(c.new)}`);
  else
    for (const [key, value] of Object.entries(e.payload))
      if (key !== 'signatureId') lines.push(`${key}: ${valueText(value)}`);
  if (e.reason) lines.push(t('admin.history.reason', { reason: e.reason }));
  return lines.map((line, i) => (
    <span key={i} class="admin-line">
      {line}
    </span>
  ));
}

/**
 * The audit trail of one plugin or device (C4), read when it is opened: each event with when, what,
 * who, what it changed and why.
 */
export function SubjectTrail(props: {
  id: string;
  name: string;
  load(): Promise<AuditEvent[]>;
  onClose(): void;
}) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    props.load().then(
      (read) => live && setEvents(read),
      (error: unknown) => live && setFailure(t('admin.trail.unreadable', { detail: problemText(error) })),
    );
    return () => {
      live = false;
    };
  }, [props.name]);
  return (
    <section class="panel admin-trail" id={props.id} aria-live="polite">
      <div class="admin-head">
        <h2>{t('admin.trail.title', { name: props.name })}</h2>
        <button type="button" data-action="close-trail" onClick={props.onClose}>
          {t('admin.trail.close')}
        </button>
      </div>
      <Message tone="error">{failure}</Message>
      {events === null ? (
        failure ? null : (
          <p class="loading">{t('common.loading')}</p>
        )
      ) : events.length === 0 ? (
        <p class="empty">{t('admin.trail.empty')}</p>
      ) : (
        <Table
          rows={events}
          rowKey={(e) => e.seq}
          rowProps={(e) => ({ 'data-type': e.type })}
          columns={[
            { heading: t('admin.history.at'), cell: (e) => formatInstant(e.at) },
            { heading: t('admin.history.event'), cell: (e) => trailEventLabel(e.type) },
            { heading: t('admin.history.by'), cell: (e) => e.actorName },
            { heading: t('admin.history.details'), class: 'admin-details', cell: details },
          ]}
        />
      )}
    </section>
  );
}
