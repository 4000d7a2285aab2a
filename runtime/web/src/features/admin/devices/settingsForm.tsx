import { t } from '@attest/task-form/i18n';
import { Field, fieldProps } from '../../../ui/Field.tsx';
import type { SettingField, SettingValues } from './settingsSchema.ts';

/** The settings' fields, drawn from the plugin's schema, each with its error in place. */
export function SettingsFields(props: {
  fields: SettingField[] | null;
  values: SettingValues;
  errors: Record<string, string>;
  onChange(values: SettingValues): void;
}) {
  const { fields, values, errors } = props;
  const set = (key: string, value: string | boolean) => props.onChange({ ...values, [key]: value });
  if (!fields) {
    return (
      <Field
        id="device-settings-json"
        label={t('admin.devices.settingsJson')}
        hint={t('admin.devices.noSchema')}
        error={errors[''] ?? null}
      >
        <textarea
          rows={5}
          spellcheck={false}
          class="admin-code"
          {...fieldProps('device-settings-json', errors[''])}
          value={String(values[''] ?? '')}
          onInput={(event) => set('', event.currentTarget.value)}
        />
      </Field>
    );
  }
  return (
    <>
      {fields.map((f) => {
        const id = `device-setting-${f.key}`;
        const error = errors[f.key] ?? null;
        const attrs = { ...fieldProps(id, error), 'data-setting': f.key, required: f.required };
        const text = String(values[f.key] ?? '');
        const label = f.required ? f.label : `${f.label} (${t('admin.optional')})`;
        return (
          <Field
            key={f.key}
            id={id}
            label={label}
            hint={f.hint ?? (f.control === 'json' ? t('admin.devices.jsonHint') : undefined)}
            error={error}
          >
            {f.control === 'boolean' ? (
              <input
                type="checkbox"
                {...attrs}
                checked={values[f.key] === true}
                onChange={(event) => set(f.key, event.currentTarget.checked)}
              />
            ) : f.control === 'choice' ? (
              <select {...attrs} value={text} onChange={(event) => set(f.key, event.currentTarget.value)}>
                {f.required && text !== '' ? null : <option value="">—</option>}
                {f.choices.map((c) => (
                  <option key={String(c)} value={String(c)}>
                    {String(c)}
                  </option>
                ))}
              </select>
            ) : f.control === 'json' ? (
              <textarea
                rows={2}
                spellcheck={false}
                class="admin-code"
                {...attrs}
                value={text}
                onInput={(event) => set(f.key, event.currentTarget.value)}
              />
            ) : (
              <input
                type={f.control === 'number' ? 'number' : 'text'}
                inputMode={f.control === 'number' ? 'decimal' : undefined}
                min={f.min}
                max={f.max}
                spellcheck={false}
                {...attrs}
                value={text}
                onInput={(event) => set(f.key, event.currentTarget.value)}
              />
            )}
          </Field>
        );
      })}
    </>
  );
}
