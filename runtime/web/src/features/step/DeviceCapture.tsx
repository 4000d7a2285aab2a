import { valueText, type FieldState, type TaskForm, type ValueState } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useEffect, useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';
import { listen } from '../../live.ts';

type Choice = Schemas['DeviceChoice'];
type Live = Schemas['LiveReading'];
type Reading = Schemas['DeviceReading'];
type Value = Schemas['TaskValue'];

/** A value the server entered from a device: the reading it names, and the value as entered. */
export interface DeviceValue {
  reading: string;
  value: unknown;
  deviceCode: string;
  raw: string;
}

/** A value the server entered from a device, as a save names it; null for any other value. */
export function deviceValueOf(v: ValueState): DeviceValue | null {
  return v.source === 'device' && v.device?.readingId
    ? { reading: v.device.readingId, value: v.value, deviceCode: v.device.deviceId, raw: v.device.raw }
    : null;
}

/** The device values a step's contract holds, by pointer: what a save names as read from a device. */
export function deviceValuesOf(values: ValueState[]): Map<string, DeviceValue> {
  const out = new Map<string, DeviceValue>();
  for (const v of values) {
    const taken = deviceValueOf(v);
    if (taken) out.set(v.pointer, taken);
  }
  return out;
}

/**
 * The sources a save or completion names: each value read from a device that still holds what the
 * server entered. A value typed over its reading names none, and is entered by hand.
 */
export function sourcesFor(
  data: Record<string, unknown>,
  taken: Map<string, DeviceValue>,
): Record<string, { source: 'device'; reading: string }> {
  const sources: Record<string, { source: 'device'; reading: string }> = {};
  for (const [pointer, v] of taken) {
    const now = pointer
      .slice(1)
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], data);
    if (now === v.value) sources[pointer] = { source: 'device', reading: v.reading };
  }
  return sources;
}

const STATE_KEYS: Record<string, MessageKey> = {
  calibration_due: 'device.state.calibration_due',
  out_of_service: 'device.state.out_of_service',
};

/**
 * Take reading, as the operator meets it beside the form: for each field read from a device, the
 * devices of its kind (one that may not be read now shown with why, and not chosen), the live value
 * on the device, and the buttons to read it into the field, tare or zero it where the form allows.
 * The server reads the device and answers with the value it entered, which is put into the form
 * without drawing it again, so what the operator typed meanwhile stays.
 */
export function DeviceCapture(props: {
  taskId: string;
  contract: TaskForm;
  /** The values read so far, by pointer; a save names their readings. */
  taken: Map<string, DeviceValue>;
  reason: () => string;
  onTaken: (field: FieldState, reading: Reading, value: Value) => void;
  onMessage: (text: string) => void;
  onReasonNeeded: (message: string) => void;
}) {
  const fields = props.contract.fields.filter((f) => f.device && !f.locked && !f.pointer.includes('*'));
  const [choices, setChoices] = useState<Choice[] | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    if (fields.length === 0) return;
    api
      .get('/api/tasks/{id}/devices', { path: { id: props.taskId } })
      .then((found) => setChoices(found.devices))
      .catch((error: unknown) => setFailed((error as Error).message));
  }, [props.taskId]);
  if (fields.length === 0) return null;
  return (
    <section class="panel devices" id="step-devices">
      <h2>{t('device.title')}</h2>
      <p class="note">{t('device.hint')}</p>
      {failed ? <p class="message error">{t('common.error', { detail: failed })}</p> : null}
      {choices
        ? fields.map((field) => (
            <DeviceField
              key={field.pointer}
              {...props}
              field={field}
              choices={choices.filter((c) => !field.device!.kind || c.kind === field.device!.kind)}
            />
          ))
        : null}
    </section>
  );
}

function DeviceField(props: {
  taskId: string;
  field: FieldState;
  choices: Choice[];
  taken: Map<string, DeviceValue>;
  reason: () => string;
  onTaken: (field: FieldState, reading: Reading, value: Value) => void;
  onMessage: (text: string) => void;
  onReasonNeeded: (message: string) => void;
}) {
  const { field, choices } = props;
  const binding = field.device!;
  const usable = choices.filter((c) => c.state === 'in_service');
  const [deviceId, setDeviceId] = useState<string>(usable.length === 1 ? usable[0]!.id : '');
  const [live, setLive] = useState<Live | null>(null);
  const [liveProblem, setLiveProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const device = choices.find((c) => c.id === deviceId);
  const id = `device-${field.key}`;

  useEffect(() => {
    setLive(null);
    setLiveProblem(null);
    if (!device || device.state !== 'in_service') return;
    const stop = new AbortController();
    listen(
      `/api/devices/${device.id}/live?channel=${encodeURIComponent(binding.channel)}`,
      (name, data) => {
        if (name === 'reading') {
          setLive(JSON.parse(data) as Live);
          setLiveProblem(null);
        } else if (name === 'problem') setLiveProblem((JSON.parse(data) as { message: string }).message);
      },
      stop.signal,
    );
    return () => stop.abort();
  }, [deviceId]);

  const act = (action: 'read' | 'tare' | 'zero'): void => {
    if (!device) return;
    setBusy(true);
    setError(null);
    const why = props.reason().trim();
    api
      .post('/api/tasks/{id}/readings', {
        path: { id: props.taskId },
        body: { pointer: field.pointer, deviceId: device.id, action, ...(why && { reason: why }) },
      })
      .then(({ reading, value }) => {
        if (reading && value) {
          props.onTaken(field, reading, value);
          props.onMessage(
            t('device.taken', {
              field: field.label,
              value: withUnit(reading.stored, field),
              device: device.code,
            }),
          );
        } else
          props.onMessage(t(action === 'tare' ? 'device.tared' : 'device.zeroed', { device: device.code }));
      })
      .catch((problem: unknown) => {
        const atReason = problem instanceof Problem && problem.errors.some((e) => e.pointer === '/reason');
        if (atReason) {
          props.onReasonNeeded((problem as Problem).errors.find((e) => e.pointer === '/reason')!.message);
          setError(t('device.reasonFirst', { label: t('step.changeReason') }));
        } else setError(problem instanceof Problem ? problemText(problem) : (problem as Error).message);
      })
      .finally(() => setBusy(false));
  };

  const entered = props.taken.get(field.pointer);
  return (
    <div class="device-field" id={id} data-pointer={field.pointer}>
      <h3>{field.unit ? `${field.label} (${field.unit})` : field.label}</h3>
      {choices.length === 0 ? (
        <p class="note">{t('device.none')}</p>
      ) : (
        <>
          <label for={`${id}-choice`}>{t('device.choose')}</label>
          <select
            id={`${id}-choice`}
            value={deviceId}
            onChange={(event) => setDeviceId(event.currentTarget.value)}
          >
            <option value="">{t('device.chooseOne')}</option>
            {choices.map((c) => (
              <option key={c.id} value={c.id} disabled={c.state !== 'in_service'}>
                {`${c.code} · ${c.name} · ${c.room}`}
                {c.state === 'in_service' ? '' : ` (${t(STATE_KEYS[c.state]!)})`}
              </option>
            ))}
          </select>
          {device ? (
            <p class="device-live" id={`${id}-live`} role="status">
              {liveProblem
                ? t('device.liveProblem', { message: liveProblem })
                : live
                  ? t('device.live', { value: liveText(live) })
                  : t('device.waiting')}
            </p>
          ) : null}
          <div class="device-actions">
            <button
              type="button"
              class="primary"
              id={`${id}-take`}
              disabled={busy || !device}
              onClick={() => act('read')}
            >
              {t('device.take')}
            </button>
            {binding.tare ? (
              <button type="button" id={`${id}-tare`} disabled={busy || !device} onClick={() => act('tare')}>
                {t('device.tare')}
              </button>
            ) : null}
            {binding.zero ? (
              <button type="button" id={`${id}-zero`} disabled={busy || !device} onClick={() => act('zero')}>
                {t('device.zero')}
              </button>
            ) : null}
          </div>
        </>
      )}
      {entered ? (
        <p class="device-entered" id={`${id}-entered`}>
          {t('device.entered', {
            device: entered.deviceCode,
            value: withUnit(entered.value, field),
            raw: entered.raw,
          })}
        </p>
      ) : null}
      {error ? (
        <p class="message error" role="alert" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

const withUnit = (value: unknown, field: FieldState) => {
  const text = valueText(value, field);
  return field.unit ? `${text} ${field.unit}` : text;
};

/** A live reading as the device gives it: value, unit and whether it is stable. */
function liveText(reading: Live): string {
  const value =
    reading.value === null
      ? reading.raw
      : `${String(reading.value)}${reading.unit ? ` ${reading.unit}` : ''}`;
  return `${value} · ${reading.stable && reading.status === 'ok' ? t('device.stable') : t('device.unstable')}`;
}

/** A refusal's message, with each field error the API gave. */
function problemText(problem: Problem): string {
  return problem.errors.length > 0 ? problem.errors.map((e) => e.message).join(' ') : problem.detail;
}
