import type { MessageKey } from '@attest/task-form/i18n/en';

/** The part of a plugin's JSON Schema for its settings the form is drawn from. */
interface PropertySchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
}
interface SettingsSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

/** How a setting is typed in: text, a number, a tick, one of a list, or JSON for anything else. */
type Control = 'text' | 'number' | 'boolean' | 'choice' | 'json';

export interface SettingField {
  key: string;
  label: string;
  hint?: string;
  required: boolean;
  control: Control;
  choices: unknown[];
  min?: number;
  max?: number;
}

/** What the person typed, by setting: text (JSON for a `json` control), or a tick. */
export type SettingValues = Record<string, string | boolean>;

const typeOf = (p: PropertySchema): string | undefined =>
  Array.isArray(p.type) ? p.type.find((x) => x !== 'null') : p.type;

function controlOf(p: PropertySchema): Control {
  if (Array.isArray(p.enum) && p.enum.every((v) => ['string', 'number'].includes(typeof v))) return 'choice';
  const type = typeOf(p);
  if (type === 'string') return 'text';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  return 'json';
}

/**
 * The fields of a plugin's settings schema, one a property of its top level; null where the
 * schema names none (the settings are then typed as one JSON object).
 */
export function settingFields(schema: Record<string, unknown> | null): SettingField[] | null {
  const s = schema as SettingsSchema | null;
  if (!s?.properties || typeof s.properties !== 'object' || Object.keys(s.properties).length === 0)
    return null;
  const required = Array.isArray(s.required) ? s.required : [];
  return Object.entries(s.properties).map(([key, p]) => ({
    key,
    label: typeof p.title === 'string' ? p.title : key,
    ...(typeof p.description === 'string' && { hint: p.description }),
    required: required.includes(key),
    control: controlOf(p),
    choices: Array.isArray(p.enum) ? p.enum : [],
    ...(typeof p.minimum === 'number' && { min: p.minimum }),
    ...(typeof p.maximum === 'number' && { max: p.maximum }),
  }));
}

const textOf = (field: SettingField, value: unknown): string | boolean => {
  if (field.control === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  return field.control === 'json' ? JSON.stringify(value) : String(value);
};

/** The values the form starts with: the device's settings, else the schema's defaults. */
export function initialValues(
  fields: SettingField[] | null,
  schema: Record<string, unknown> | null,
  settings: Record<string, unknown> | null,
): SettingValues {
  if (!fields) return { '': settings ? JSON.stringify(settings, null, 2) : '{}' };
  const defaults = (schema as SettingsSchema).properties ?? {};
  return Object.fromEntries(
    fields.map((f) => [f.key, textOf(f, settings ? settings[f.key] : defaults[f.key]?.default)]),
  );
}

/**
 * The settings object the values make, or what is wrong by setting (`''` for the whole object), as
 * the key of its message: only what cannot be sent is checked here; the server checks the rest
 * against the schema.
 */
export function settingsOf(
  fields: SettingField[] | null,
  values: SettingValues,
): { settings: Record<string, unknown> } | { errors: Record<string, MessageKey> } {
  const errors: Record<string, MessageKey> = {};
  const settings: Record<string, unknown> = {};
  const parse = (key: string, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      errors[key] = 'admin.devices.notJson';
      return undefined;
    }
  };
  if (!fields) {
    const whole = parse('', String(values[''] ?? ''));
    if (errors[''] === undefined && (whole === null || typeof whole !== 'object' || Array.isArray(whole)))
      errors[''] = 'admin.devices.notObject';
    return Object.keys(errors).length > 0 ? { errors } : { settings: whole as Record<string, unknown> };
  }
  for (const f of fields) {
    const value = values[f.key];
    if (f.control === 'boolean') {
      settings[f.key] = value === true;
      continue;
    }
    const text = typeof value === 'string' ? value.trim() : '';
    if (text === '') {
      if (f.required) errors[f.key] = 'admin.required';
      continue;
    }
    if (f.control === 'number') {
      const n = Number(text);
      if (Number.isNaN(n)) errors[f.key] = 'admin.devices.notNumber';
      else settings[f.key] = n;
    } else if (f.control === 'json') settings[f.key] = parse(f.key, text);
    else if (f.control === 'choice') settings[f.key] = f.choices.find((c) => String(c) === text) ?? text;
    else settings[f.key] = text;
  }
  return Object.keys(errors).length > 0 ? { errors } : { settings };
}

/** The setting a pointer into the settings names (`''`: the settings as a whole). */
export function settingAt(pointer: string): string | null {
  if (pointer === '/settings') return '';
  const m = /^\/settings\/([^/]+)/.exec(pointer);
  return m ? m[1]!.replace(/~1/g, '/').replace(/~0/g, '~') : null;
}
