import { t, type MessageKey } from '@attest/task-form/i18n';
import { useEffect, useState } from 'preact/hooks';
import { openFile } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { mountPage } from '../../app/page.tsx';
import { formatInstant, zone } from '../../time.ts';
import { Message, Notice, type NoticeState } from '../../ui/Message.tsx';
import { useDialog } from '../../ui/ModalForm.tsx';
import { problemText } from '../../ui/problem.ts';
import { Table } from '../../ui/Table.tsx';
import { PageHead, valueText } from '../admin/common.tsx';
import {
  EquipmentActDialog,
  SignedActDialog,
  type ActKind,
  type Equipment,
  type SignedAct,
} from './EquipmentActDialog.tsx';

type LogbookEntry = Schemas['LogbookEntry'];

const STATUS_KEYS: Record<Equipment['status'], MessageKey> = {
  clean: 'equipment.status.clean',
  dirty: 'equipment.status.dirty',
  in_use: 'equipment.status.in_use',
  maintenance: 'equipment.status.maintenance',
  out_of_service: 'equipment.status.out_of_service',
};
/** The colours of the equipment's status labels. */
const STATUS_TONES: Record<Equipment['status'], string> = {
  clean: 'lot-go',
  dirty: 'lot-wait',
  in_use: 'admin-info',
  maintenance: 'lot-wait',
  out_of_service: 'lot-stop',
};
const EVENT_KEYS: Record<string, MessageKey> = {
  'equipment.registered': 'equipment.event.registered',
  'equipment.changed': 'equipment.event.changed',
  'equipment.used': 'equipment.event.used',
  'equipment.released': 'equipment.event.released',
  'equipment.measured': 'equipment.event.measured',
  'equipment.cleaned': 'equipment.event.cleaned',
  'equipment.maintenance_started': 'equipment.event.maintenanceStarted',
  'equipment.maintenance_ended': 'equipment.event.maintenanceEnded',
  'equipment.calibrated': 'equipment.event.calibrated',
  'equipment.qualified': 'equipment.event.qualified',
  'equipment.daily_check': 'equipment.event.dailyCheck',
  'equipment.status_set': 'equipment.event.statusSet',
  'signature.applied': 'equipment.event.signed',
};
const ACT_KEYS: Record<ActKind, MessageKey> = {
  cleaned: 'equipment.cleaned',
  daily_check: 'equipment.dailyCheck',
  status: 'equipment.setStatus',
};

const loadEquipment = async (): Promise<Equipment[]> => (await api.get('/api/equipment')).equipment;

/** The route loads this module when the page is first opened and calls this, its default export. */
export default async function showEquipment(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <EquipmentPage me={me} initial={await loadEquipment()} />);
}

/** A fact of a logbook line as text: a moment in the plant's zone, as every time is shown. */
const factText = (value: unknown) =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? formatInstant(value) : valueText(value);

/** Today where the plant is, as YYYY-MM-DD. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: zone() }).format(new Date());

function Due(props: { date: string | null }) {
  if (!props.date) return <span class="note">{t('equipment.notNeeded')}</span>;
  return (
    <>
      <span class="admin-name admin-date">{props.date}</span>
      {props.date < today() ? (
        <span class="badge danger" data-due="past">
          {t('equipment.overdue')}
        </span>
      ) : null}
    </>
  );
}

/** Where a piece of equipment stands, as the colour its label prints, with until when or for which batch. */
function Status(props: { equipment: Equipment }) {
  const e = props.equipment;
  const batch = e.inUse ? (e.inUse.recordNumber ?? e.inUse.instanceId) : null;
  return (
    <>
      <span class={`badge ${STATUS_TONES[e.status]}`} data-status={e.status}>
        {t(STATUS_KEYS[e.status])}
      </span>
      {e.status === 'clean' && e.cleanUntil ? (
        <span class="admin-sub">{t('equipment.cleanUntil', { at: formatInstant(e.cleanUntil) })}</span>
      ) : null}
      {batch ? <span class="admin-sub">{t('equipment.inUseBy', { batch })}</span> : null}
      {e.usable && e.status !== 'in_use' ? (
        <span class="admin-sub field-error">{t('equipment.notUsable', { message: e.usable.message })}</span>
      ) : null}
    </>
  );
}

/** The logbook of one piece of equipment (21 CFR 211.182), read when it is opened: every event in order. */
function Logbook(props: { equipment: Equipment; onClose(): void }) {
  const { equipment } = props;
  const [entries, setEntries] = useState<LogbookEntry[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    api.get('/api/equipment/{code}/logbook', { path: { code: equipment.code } }).then(
      ({ entries: read }) => setEntries(read),
      (error: unknown) => setFailure(problemText(error)),
    );
  }, [equipment.code, equipment.version]);
  return (
    <section class="admin-trail" id="equipment-logbook" aria-labelledby="equipment-logbook-title">
      <div class="admin-head">
        <h2 id="equipment-logbook-title">
          {t('equipment.logbookOf', { code: equipment.code, name: equipment.name })}
        </h2>
        <button type="button" data-action="close" onClick={props.onClose}>
          {t('equipment.closeLogbook')}
        </button>
      </div>
      <Message tone="error">{failure}</Message>
      {entries === null ? null : entries.length === 0 ? (
        <p class="empty">{t('equipment.logbookEmpty')}</p>
      ) : (
        <Table
          id="logbook"
          rows={entries}
          rowKey={(e) => e.seq}
          rowProps={(e) => ({ 'data-type': e.type, 'data-seq': e.seq })}
          columns={[
            { heading: t('equipment.when'), cell: (e) => formatInstant(e.at) },
            {
              heading: t('equipment.what'),
              class: 'admin-details',
              cell: (e) => (
                <>
                  <strong class="admin-name">{EVENT_KEYS[e.type] ? t(EVENT_KEYS[e.type]!) : e.type}</strong>
                  {e.changes.map((c, i) => (
                    <span key={i} class="admin-sub">
                      {t('equipment.changes', { field: c.path, old: factText(c.old), new: factText(c.new) })}
                    </span>
                  ))}
                </>
              ),
            },
            {
              heading: t('equipment.batch'),
              cell: (e) => (e.batch ? (e.batch.recordNumber ?? e.batch.instanceId) : '—'),
            },
            { heading: t('equipment.by'), cell: (e) => e.by.printedName },
            { heading: t('equipment.reason'), cell: (e) => e.reason ?? '—' },
          ]}
        />
      )}
    </section>
  );
}

/**
 * The equipment: where each piece stands, whether a batch may use it now, its calibration and
 * qualification due dates, and its logbook. Whoever keeps the equipment records a cleaning, a
 * daily check or a status here, each with a reason (F2); anyone who reads it prints its label.
 */
export function EquipmentPage(props: { me: Me; initial: Equipment[] }) {
  const [equipment, setEquipment] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [logbook, setLogbook] = useState<string | null>(null);
  const [dialog, open] = useDialog();
  const mayKeep = props.me.permissions.includes('equipment.manage');
  const shown = equipment.find((e) => e.code === logbook);

  const record = async (e: Equipment, kind: ActKind) => {
    setNotice(null);
    if (!(await open((close) => <EquipmentActDialog equipment={e} kind={kind} onClose={close} />))) return;
    setEquipment(await loadEquipment());
    setNotice({ kind: 'success', content: t('equipment.recorded', { code: e.code }) });
  };

  const sign = async (e: Equipment, act: SignedAct) => {
    setNotice(null);
    const done = await open((close) => (
      <SignedActDialog equipment={e} act={act} signer={props.me.user} onClose={close} />
    ));
    if (!done) return;
    setEquipment(await loadEquipment());
    setNotice({ kind: 'success', content: t('equipment.recorded', { code: e.code }) });
  };

  const printLabel = (e: Equipment) => {
    setNotice(null);
    openFile(`/api/equipment/${encodeURIComponent(e.code)}/label?size=A6&format=pdf`).catch(
      (error: unknown) => setNotice({ kind: 'error', content: problemText(error) }),
    );
  };

  return (
    <>
      <PageHead title={t('equipment.title')} />
      <p class="note admin-intro">{t('equipment.intro')}</p>
      <Notice id="equipment-notice" notice={notice} />
      {equipment.length === 0 ? (
        <p class="empty" id="equipment-empty">
          {t('equipment.empty')}
        </p>
      ) : (
        <Table
          id="equipment"
          rows={equipment}
          rowKey={(e) => e.id}
          rowProps={(e) => ({ 'data-equipment': e.code, 'data-status': e.status })}
          columns={[
            {
              heading: t('equipment.code'),
              cell: (e) => (
                <>
                  <strong class="admin-name">{e.code}</strong>
                  <span class="admin-sub">{e.name}</span>
                  <span class="admin-sub">{t('equipment.room', { room: e.room })}</span>
                </>
              ),
            },
            { heading: t('equipment.status'), class: 'state', cell: (e) => <Status equipment={e} /> },
            { heading: t('equipment.calibrationDue'), cell: (e) => <Due date={e.calibrationDue} /> },
            { heading: t('equipment.qualificationDue'), cell: (e) => <Due date={e.qualificationDue} /> },
            {
              heading: t('equipment.actions'),
              class: 'actions',
              cell: (e) => (
                <div class="admin-row-actions">
                  <button type="button" data-action="logbook" onClick={() => setLogbook(e.code)}>
                    {t('equipment.logbook')}
                  </button>
                  {mayKeep
                    ? (['cleaned', 'daily_check', 'status'] as const).map((kind) => (
                        <button
                          key={kind}
                          type="button"
                          data-action={kind}
                          onClick={() => void record(e, kind).catch(reportError)}
                        >
                          {t(ACT_KEYS[kind])}
                        </button>
                      ))
                    : null}
                  {mayKeep && e.calibrationDue ? (
                    <button
                      type="button"
                      data-action="calibrated"
                      onClick={() => void sign(e, 'calibrated').catch(reportError)}
                    >
                      {t('equipment.calibrated')}
                    </button>
                  ) : null}
                  {mayKeep && e.qualificationDue ? (
                    <button
                      type="button"
                      data-action="qualified"
                      onClick={() => void sign(e, 'qualified').catch(reportError)}
                    >
                      {t('equipment.qualified')}
                    </button>
                  ) : null}
                  <button type="button" data-action="label" onClick={() => printLabel(e)}>
                    {t('equipment.label')}
                  </button>
                </div>
              ),
            },
          ]}
        />
      )}
      {shown ? <Logbook equipment={shown} onClose={() => setLogbook(null)} /> : null}
      {dialog}
    </>
  );
}
