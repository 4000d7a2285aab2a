import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { Problem } from '../../../api.ts';
import { api, type Schemas } from '../../../api/client.ts';
import { errorsAtFields, Field, fieldProps } from '../../../ui/Field.tsx';
import { ModalForm } from '../../../ui/ModalForm.tsx';
import { problemText } from '../../../ui/problem.ts';
import { SettingsFields } from './settingsForm.tsx';
import { initialValues, settingAt, settingFields, settingsOf, type SettingValues } from './settingsSchema.ts';

export type Device = Schemas['Device'];
export type Plugin = Schemas['Plugin'];
type Facts = Omit<Device, 'id' | 'state' | 'version' | 'createdAt' | 'updatedAt' | 'settings'> & {
  settings: Record<string, unknown>;
};

export const DEVICE_KINDS: Record<Device['kind'], MessageKey> = {
  scale: 'admin.devices.kind.scale',
  plc: 'admin.devices.kind.plc',
  sensor: 'admin.devices.kind.sensor',
  instrument: 'admin.devices.kind.instrument',
};

const POINTERS = {
  code: '/code',
  name: '/name',
  kind: '/kind',
  plugin: '/plugin',
  room: '/room',
  line: '/line',
  calibrationDue: '/calibrationDue',
  reason: '/reason',
};
type FieldName = keyof typeof POINTERS;

/** The device plugins a device may be registered with: found, of the device kind, not refused. */
export const devicePlugins = (plugins: Plugin[]) =>
  plugins.filter((p) => p.kind === 'device' && p.state !== 'invalid');

/**
 * Sends a device's whole facts with a reason: registered when new, else changed from the version
 * it was read at. A refusal because someone changed it meanwhile (409) is told as such; any other
 * is thrown.
 */
export async function sendDevice(
  device: Device | null,
  facts: Facts & { reason: string },
): Promise<Device | { conflict: string }> {
  if (!device) return api.post('/api/devices', { body: facts });
  try {
    return await api.put('/api/devices/{id}', {
      path: { id: device.id },
      body: { ...facts, version: device.version },
    });
  } catch (error) {
    if (!(error instanceof Problem) || error.status !== 409) throw error;
    const now = await api.get('/api/devices/{id}', { path: { id: device.id } });
    if (now.version === device.version) throw error;
    return {
      conflict: t('admin.devices.conflict', {
        code: device.code,
        version: now.version,
        read: device.version,
      }),
    };
  }
}

/** A device's facts as they stand, to send again with one of them changed. */
export const factsOf = (d: Device): Facts => ({
  code: d.code,
  name: d.name,
  kind: d.kind,
  plugin: d.plugin,
  settings: d.settings ?? {},
  room: d.room,
  line: d.line,
  calibrationDue: d.calibrationDue,
  status: d.status,
});

/**
 * Registers a device, or changes one (`device` given): its facts, its settings as the plugin's
 * JSON Schema asks for them, and a reason. The server's refusals are shown at their fields.
 */
export function DeviceDialog(props: {
  device: Device | null;
  plugins: Plugin[];
  saved(device: Device): void;
  onClose(done: boolean): void;
}) {
  const { device } = props;
  const choices = devicePlugins(props.plugins);
  // The settings are typed in their own fields (see `values`), and sent from them.
  const [facts, setFacts] = useState<Facts>(() =>
    device
      ? factsOf(device)
      : {
          code: '',
          name: '',
          kind: 'scale' as const,
          plugin: choices[0]?.name ?? '',
          settings: {},
          room: '',
          line: null,
          calibrationDue: null,
          status: 'in_service',
        },
  );
  const schemaOf = (name: string) => props.plugins.find((p) => p.name === name)?.settingsSchema ?? null;
  const schema = schemaOf(facts.plugin);
  const fields = settingFields(schema);
  const [values, setValues] = useState<SettingValues>(() =>
    initialValues(fields, schema, device ? (device.settings ?? {}) : null),
  );
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [settingErrors, setSettingErrors] = useState<Record<string, string>>({});

  const set = <K extends keyof typeof facts>(key: K, value: (typeof facts)[K]) =>
    setFacts({ ...facts, [key]: value });
  const choosePlugin = (name: string) => {
    set('plugin', name);
    const next = schemaOf(name);
    setValues(initialValues(settingFields(next), next, null));
    setSettingErrors({});
  };

  const submit = async (): Promise<string | null> => {
    setErrors({});
    setSettingErrors({});
    const why = reason.trim();
    const settings = settingsOf(fields, values);
    const missing = {
      ...(!why && { reason: t('admin.required') }),
      ...(!facts.code.trim() && { code: t('admin.required') }),
      ...(!facts.name.trim() && { name: t('admin.required') }),
      ...(!facts.room.trim() && { room: t('admin.required') }),
    };
    if ('errors' in settings || Object.keys(missing).length > 0) {
      setErrors(missing);
      if ('errors' in settings)
        setSettingErrors(
          Object.fromEntries(Object.entries(settings.errors).map(([key, message]) => [key, t(message)])),
        );
      return t('admin.devices.notSaved');
    }
    const line = facts.line?.trim() ? facts.line.trim() : null;
    try {
      const answer = await sendDevice(device, {
        ...facts,
        code: facts.code.trim(),
        name: facts.name.trim(),
        room: facts.room.trim(),
        line,
        calibrationDue: facts.calibrationDue || null,
        settings: settings.settings,
        reason: why,
      });
      if ('conflict' in answer) return answer.conflict;
      props.saved(answer);
      return null;
    } catch (error) {
      if (!(error instanceof Problem)) return problemText(error);
      // A code taken already is a conflict without a pointer: it belongs at the code.
      const pointed =
        error.status === 409 && error.errors.length === 0 && /registered already/.test(error.detail)
          ? [{ pointer: '/code', keyword: 'conflict', message: error.detail }]
          : error.errors;
      const atSetting: Record<string, string> = {};
      const others = pointed.filter((e) => {
        const key = settingAt(e.pointer);
        if (key === null) return true;
        const at = fields?.some((f) => f.key === key) ? key : '';
        atSetting[at] = atSetting[at] ? `${atSetting[at]}; ${e.message}` : e.message;
        return false;
      });
      const { at, rest } = errorsAtFields(others, POINTERS);
      setErrors(at);
      setSettingErrors(atSetting);
      if (pointed.length > 0 && rest.length === 0) return t('admin.devices.notSaved');
      return problemText(error);
    }
  };

  const text = (name: 'code' | 'name' | 'room', max: number) => (
    <input
      type="text"
      maxLength={max}
      autocomplete="off"
      {...fieldProps(`device-${name}`, errors[name])}
      value={facts[name]}
      onInput={(event) => set(name, event.currentTarget.value)}
    />
  );
  const plugin = props.plugins.find((p) => p.name === facts.plugin);
  return (
    <ModalForm
      id="device-dialog"
      title={
        device ? t('admin.devices.changeTitle', { code: device.code }) : t('admin.devices.registerTitle')
      }
      confirm={t(device ? 'admin.devices.save' : 'admin.devices.register')}
      submit={submit}
      onClose={props.onClose}
    >
      <div class="admin-device-form">
        <Field
          id="device-code"
          label={t('admin.devices.code')}
          hint={t('admin.devices.codeHint')}
          error={errors.code ?? null}
        >
          {text('code', 40)}
        </Field>
        <Field id="device-name" label={t('admin.devices.name')} error={errors.name ?? null}>
          {text('name', 200)}
        </Field>
        <Field id="device-kind" label={t('admin.devices.kind')} error={errors.kind ?? null}>
          <select
            {...fieldProps('device-kind', errors.kind)}
            value={facts.kind}
            // The choices are the device kinds.
            onChange={(event) => set('kind', event.currentTarget.value as Device['kind'])}
          >
            {(Object.keys(DEVICE_KINDS) as Device['kind'][]).map((k) => (
              <option key={k} value={k}>
                {t(DEVICE_KINDS[k])}
              </option>
            ))}
          </select>
        </Field>
        <Field id="device-plugin" label={t('admin.devices.plugin')} error={errors.plugin ?? null}>
          <select
            {...fieldProps('device-plugin', errors.plugin)}
            value={facts.plugin}
            onChange={(event) => choosePlugin(event.currentTarget.value)}
          >
            {choices.map((p) => (
              <option key={p.name} value={p.name}>
                {p.state === 'enabled'
                  ? `${p.name} ${p.version}`
                  : t('admin.devices.pluginNotEnabled', { name: `${p.name} ${p.version}` })}
              </option>
            ))}
          </select>
        </Field>
        <Field id="device-room" label={t('admin.devices.room')} error={errors.room ?? null}>
          {text('room', 100)}
        </Field>
        <Field id="device-line" label={t('admin.devices.line')} error={errors.line ?? null}>
          <input
            type="text"
            maxLength={100}
            autocomplete="off"
            {...fieldProps('device-line', errors.line)}
            value={facts.line ?? ''}
            onInput={(event) => set('line', event.currentTarget.value)}
          />
        </Field>
        <Field
          id="device-calibration"
          label={t('admin.devices.calibrationDue')}
          hint={t('admin.devices.calibrationDueHint')}
          error={errors.calibrationDue ?? null}
        >
          <input
            type="date"
            {...fieldProps('device-calibration', errors.calibrationDue)}
            value={facts.calibrationDue ?? ''}
            onInput={(event) => set('calibrationDue', event.currentTarget.value || null)}
          />
        </Field>
      </div>
      <fieldset class="admin-settings" id="device-settings">
        <legend>{t('admin.devices.settings')}</legend>
        {plugin ? <p class="note">{t('admin.devices.settingsIntro', { plugin: plugin.name })}</p> : null}
        <SettingsFields fields={fields} values={values} errors={settingErrors} onChange={setValues} />
        {fields && settingErrors[''] ? (
          <p class="field-error" id="device-settings-error">
            {settingErrors['']}
          </p>
        ) : null}
      </fieldset>
      <Field
        id="device-reason"
        label={t(device ? 'admin.devices.reasonChange' : 'admin.devices.reasonRegister')}
        hint={t('admin.devices.reasonRegisterHint')}
        error={errors.reason ?? null}
      >
        <textarea
          rows={2}
          maxLength={1000}
          {...fieldProps('device-reason', errors.reason)}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </Field>
    </ModalForm>
  );
}
