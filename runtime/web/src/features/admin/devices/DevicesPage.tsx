import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api } from '../../../api/client.ts';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { formatInstant, zone } from '../../../time.ts';
import { Message, Notice, type NoticeState } from '../../../ui/Message.tsx';
import { ReasonDialog, useDialog } from '../../../ui/ModalForm.tsx';
import { problemText } from '../../../ui/problem.ts';
import { Table } from '../../../ui/Table.tsx';
import { PageHead, valueText } from '../common.tsx';
import { SubjectTrail } from '../SubjectTrail.tsx';
import {
  DEVICE_KINDS,
  DeviceDialog,
  devicePlugins,
  factsOf,
  sendDevice,
  type Device,
  type Plugin,
} from './DeviceDialog.tsx';
import { useDeviceStates, type DeviceState } from './liveState.ts';

/** A calibration falling due within this many days is pointed out. */
const DUE_SOON_DAYS = 30;

export interface DevicesData {
  devices: Device[];
  plugins: Plugin[];
}

export async function loadDevices(): Promise<DevicesData> {
  const [{ devices }, { plugins }] = await Promise.all([api.get('/api/devices'), api.get('/api/plugins')]);
  return { devices, plugins };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showDevices(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <DevicesPage me={me} initial={await loadDevices()} />);
}

/** Today where the plant is, as YYYY-MM-DD. */
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: zone() }).format(new Date());

const daysUntil = (date: string) =>
  Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today()}T00:00:00Z`)) / 86_400_000);

function Calibration(props: { device: Device }) {
  const due = props.device.calibrationDue;
  if (!due) return <span class="note">{t('admin.devices.noCalibration')}</span>;
  const days = daysUntil(due);
  const past = days < 0 || props.device.state === 'calibration_due';
  return (
    <>
      <span class="admin-name admin-date">{due}</span>
      {past ? (
        <span class="badge danger" data-due="past">
          {t('admin.devices.overdue')}
        </span>
      ) : days <= DUE_SOON_DAYS ? (
        <span class="badge admin-warn" data-due="soon">
          {t('admin.devices.dueSoon', { days: DUE_SOON_DAYS })}
        </span>
      ) : null}
    </>
  );
}

const STATE_KEYS: Record<Device['state'], MessageKey> = {
  in_service: 'admin.devices.state.in_service',
  calibration_due: 'admin.devices.state.calibration_due',
  out_of_service: 'admin.devices.state.out_of_service',
};
const STATE_TONES: Record<Device['state'], string> = {
  in_service: 'admin-ok',
  calibration_due: 'danger',
  out_of_service: 'admin-muted',
};

const READING_STATUS_KEYS: Record<Exclude<DeviceState['lastReading'] & object, null>['status'], MessageKey> =
  {
    ok: 'admin.devices.status.ok',
    unstable: 'admin.devices.status.unstable',
    overload: 'admin.devices.status.overload',
    underload: 'admin.devices.status.underload',
    error: 'admin.devices.status.error',
  };

function Live(props: { state: DeviceState | undefined }) {
  const s = props.state;
  if (!s) return <span class="note">—</span>;
  const r = s.lastReading;
  return (
    <>
      <span class={`badge ${s.connected ? 'admin-ok' : 'admin-muted'}`} data-connected={String(s.connected)}>
        {t(s.connected ? 'admin.devices.connected' : 'admin.devices.notConnected')}
      </span>
      {r ? (
        <span class="admin-sub admin-reading" data-reading>
          <strong>{t('admin.devices.reading', { value: valueText(r.value), unit: r.unit ?? '' })}</strong>
          {` · ${t(r.stable ? 'admin.devices.stable' : 'admin.devices.unstable')}`}
          {r.status === 'ok' || r.status === 'unstable' ? null : ` · ${t(READING_STATUS_KEYS[r.status])}`}
          {` · ${t('admin.devices.readAt', { at: formatInstant(r.serverTime) })}`}
        </span>
      ) : (
        <span class="admin-sub">{t('admin.devices.noReading')}</span>
      )}
      {r ? (
        <details class="admin-raw">
          <summary>{t('admin.devices.raw')}</summary>
          <code class="admin-id" data-raw>
            {r.raw}
          </code>
        </details>
      ) : null}
      {s.lastError ? (
        <span class="admin-sub field-error" data-last-error>
          {t('admin.devices.lastError', { at: formatInstant(s.lastError.at), message: s.lastError.message })}
        </span>
      ) : null}
    </>
  );
}

/**
 * The device registry: each device, where it stands, its calibration and its live state; register,
 * change with a reason, take out of or back into service, and its audit trail (E6, C4).
 */
export function DevicesPage(props: { me: Me; initial: DevicesData }) {
  const [data, setData] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [trail, setTrail] = useState<Device | null>(null);
  const [trailKey, setTrailKey] = useState(0);
  const [dialog, open] = useDialog();
  const live = useDeviceStates();
  const { devices, plugins } = data;

  const reload = async (text: string) => {
    setData(await loadDevices());
    setTrailKey((k) => k + 1);
    setNotice({ kind: 'success', content: text });
  };

  const edit = async (device: Device | null) => {
    setNotice(null);
    let saved: Device | null = null;
    const done = await open((close) => (
      <DeviceDialog device={device} plugins={plugins} saved={(d) => (saved = d)} onClose={close} />
    ));
    if (!done || !saved) return;
    const result: Device = saved;
    await reload(
      device
        ? t('admin.devices.changed', { code: result.code, version: result.version })
        : t('admin.devices.registered', { code: result.code }),
    );
  };

  const service = async (device: Device) => {
    setNotice(null);
    const out = device.status === 'in_service';
    let saved: Device | null = null;
    const done = await open((close) => (
      <ReasonDialog
        id="service-dialog"
        title={t(out ? 'admin.devices.outTitle' : 'admin.devices.inTitle', { code: device.code })}
        text={t(out ? 'admin.devices.outText' : 'admin.devices.inText', { code: device.code })}
        confirm={t(out ? 'admin.devices.outOfService' : 'admin.devices.backInService')}
        send={async (reason) => {
          try {
            const answer = await sendDevice(device, {
              ...factsOf(device),
              status: out ? 'out_of_service' : 'in_service',
              reason,
            });
            if ('conflict' in answer) return answer.conflict;
            saved = answer;
            return null;
          } catch (error) {
            return problemText(error);
          }
        }}
        onClose={close}
      />
    ));
    if (!done || !saved) return;
    const result: Device = saved;
    await reload(t('admin.devices.changed', { code: result.code, version: result.version }));
  };

  const mayRegister = devicePlugins(plugins).length > 0;
  return (
    <>
      <PageHead title={t('admin.devices.title')}>
        <button
          type="button"
          class="primary"
          id="device-new"
          disabled={!mayRegister}
          onClick={() => void edit(null).catch(reportError)}
        >
          {t('admin.devices.new')}
        </button>
      </PageHead>
      <p class="note admin-intro">{t('admin.devices.intro')}</p>
      {mayRegister ? null : <p class="note">{t('admin.devices.noPlugins')}</p>}
      <Notice id="device-notice" notice={notice} />
      <Message tone="error" id="device-live-failure">
        {live.failure ? t('admin.devices.liveUnavailable', { detail: live.failure }) : null}
      </Message>
      {devices.length === 0 ? (
        <p class="empty" id="devices-empty">
          {t('admin.devices.empty')}
        </p>
      ) : (
        <Table
          id="devices"
          rows={devices}
          rowKey={(d) => d.id}
          rowProps={(d) => ({ 'data-device': d.code, 'data-state': d.state })}
          columns={[
            {
              heading: t('admin.devices.code'),
              cell: (d) => (
                <>
                  <strong class="admin-name">{d.code}</strong>
                  <span class="admin-sub">{d.name}</span>
                </>
              ),
            },
            { heading: t('admin.devices.kind'), cell: (d) => t(DEVICE_KINDS[d.kind]) },
            {
              heading: t('admin.devices.plugin'),
              cell: (d) => <code>{d.plugin}</code>,
            },
            {
              heading: t('admin.devices.where'),
              cell: (d) => (
                <>
                  <span class="admin-name">{d.room}</span>
                  {d.line ? <span class="admin-sub">{d.line}</span> : null}
                </>
              ),
            },
            { heading: t('admin.devices.calibrationDue'), cell: (d) => <Calibration device={d} /> },
            {
              heading: t('admin.devices.status'),
              cell: (d) => (
                <>
                  <span class={`badge ${STATE_TONES[d.state]}`}>{t(STATE_KEYS[d.state])}</span>
                  <span class="admin-sub">{t('admin.devices.version', { version: d.version })}</span>
                </>
              ),
            },
            {
              heading: t('admin.devices.live'),
              class: 'admin-details admin-live',
              cell: (d) => <Live state={live.states.get(d.id)} />,
            },
            {
              heading: t('admin.devices.actions'),
              class: 'actions',
              cell: (d) => (
                <div class="admin-row-actions admin-stacked">
                  <button type="button" data-action="change" onClick={() => void edit(d).catch(reportError)}>
                    {t('admin.devices.change')}
                  </button>
                  <button
                    type="button"
                    data-action="service"
                    onClick={() => void service(d).catch(reportError)}
                  >
                    {t(
                      d.status === 'in_service'
                        ? 'admin.devices.outOfService'
                        : 'admin.devices.backInService',
                    )}
                  </button>
                  <button type="button" data-action="trail" onClick={() => setTrail(d)}>
                    {t('admin.trail.open')}
                  </button>
                </div>
              ),
            },
          ]}
        />
      )}
      {trail ? (
        <SubjectTrail
          key={`${trail.id}-${trailKey}`}
          id="device-trail"
          name={`${trail.code} · ${trail.name}`}
          load={async () => (await api.get('/api/devices/{id}/audit', { path: { id: trail.id } })).events}
          onClose={() => setTrail(null)}
        />
      ) : null}
      {dialog}
    </>
  );
}
