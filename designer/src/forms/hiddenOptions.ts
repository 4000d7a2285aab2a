import { KEY_PATTERN } from './componentKey.ts';
import { gmpTab, type EditFormTab } from './gmpCatalogue.ts';
import type { Translate } from './texts.ts';

/**
 * The settings formio.js's edit forms offer that an Attest form cannot have, in one list: each names
 * the edit-form tab and field (formio.js's keys), why it is hidden, and — for what the engine's
 * compiler refuses — a component property that shows it, so a test proves the engine refuses it.
 *
 * - javascript: the behaviour is code run in the browser; Attest forms compute and decide in FEEL
 *   on the server.
 * - refused: the engine does not enforce it and refuses it at import.
 * - inert: it has no effect in Attest (formio.js server features, PDF layout, free HTML attributes,
 *   editors loaded from a CDN), so offering it would mislead.
 */
export interface HiddenOption {
  tab: string;
  /** The edit-form field (or panel) key; the whole tab when absent. */
  key?: string;
  because: 'javascript' | 'refused' | 'inert';
  /** Component types whose edit forms keep it (the compiler allows it there). */
  except?: string[];
  /** Only on these component types' edit forms. */
  only?: string[];
  /** What a component holding the option looks like, for options the engine refuses. */
  sample?: Record<string, unknown>;
}

export const HIDDEN_OPTIONS: readonly HiddenOption[] = [
  {
    tab: 'logic',
    because: 'javascript',
    sample: {
      logic: [
        {
          name: 'hide',
          trigger: { type: 'javascript', javascript: 'result = true;' },
          actions: [
            { name: 'hide', type: 'property', property: { value: 'hidden', type: 'boolean' }, state: true },
          ],
        },
      ],
    },
  },
  { tab: 'layout', because: 'inert' },
  {
    tab: 'validation',
    key: 'custom-validation-js',
    because: 'javascript',
    sample: { validate: { custom: 'valid = true;' } },
  },
  {
    tab: 'validation',
    key: 'json-validation-json',
    because: 'javascript',
    sample: { validate: { json: { '==': [{ var: 'input' }, 1] } } },
  },
  {
    tab: 'data',
    key: 'customDefaultValuePanel',
    because: 'javascript',
    sample: { customDefaultValue: 'value = 1;' },
  },
  {
    tab: 'data',
    key: 'calculateValuePanel',
    because: 'javascript',
    sample: { calculateValue: 'value = 1;' },
  },
  { tab: 'data', key: 'calculateServer', because: 'inert' },
  { tab: 'data', key: 'allowCalculateOverride', because: 'inert' },
  {
    tab: 'conditional',
    key: 'customConditionalPanel',
    because: 'javascript',
    sample: { customConditional: 'show = true;' },
  },
  // Dates disabled by a function; formio.js never runs it here (no eval), and the engine does not read it.
  { tab: 'date', key: 'panel-disable-function', because: 'javascript', only: ['datetime'] },
  {
    tab: 'display',
    key: 'custom',
    because: 'javascript',
    only: ['button'],
    sample: { type: 'button', action: 'custom', custom: "alert('x')" },
  },
  {
    tab: 'display',
    key: 'action',
    because: 'refused',
    only: ['button'],
    sample: { type: 'button', action: 'url' },
  },
  { tab: 'display', key: 'hidden', because: 'refused', sample: { hidden: true } },
  { tab: 'data', key: 'clearOnHide', because: 'refused', sample: { clearOnHide: false } },
  { tab: 'data', key: 'persistent', because: 'refused', sample: { persistent: false } },
  {
    tab: 'data',
    key: 'multiple',
    because: 'refused',
    except: ['select', 'file'],
    sample: { multiple: true },
  },
  { tab: 'validation', key: 'unique', because: 'refused', sample: { unique: true } },
  { tab: 'validation', key: 'validate.minWords', because: 'refused', sample: { validate: { minWords: 2 } } },
  {
    tab: 'validation',
    key: 'validate.maxWords',
    because: 'refused',
    sample: { validate: { maxWords: 200 } },
  },
  {
    tab: 'data',
    key: 'dataSrc',
    because: 'refused',
    only: ['select', 'radio', 'selectboxes'],
    sample: { type: 'select', dataSrc: 'url', data: { url: 'https://example.org/values' } },
  },
  {
    tab: 'data',
    key: 'data.custom',
    because: 'javascript',
    only: ['select'],
    sample: { type: 'select', dataSrc: 'custom', data: { custom: "values = ['a'];" } },
  },
  {
    tab: 'display',
    key: 'inputType',
    because: 'refused',
    only: ['checkbox'],
    sample: { type: 'checkbox', inputType: 'radio', name: 'choice', value: 'a' },
  },
  { tab: 'display', key: 'name', because: 'inert', only: ['checkbox'] },
  { tab: 'display', key: 'value', because: 'inert', only: ['checkbox'] },
  { tab: 'display', key: 'modalEdit', because: 'inert' },
  { tab: 'display', key: 'tableView', because: 'inert' },
  { tab: 'display', key: 'customClass', because: 'inert' },
  { tab: 'display', key: 'widget.type', because: 'inert' },
  { tab: 'display', key: 'widget', because: 'inert' },
  { tab: 'display', key: 'editor', because: 'inert' },
  { tab: 'display', key: 'wysiwyg', because: 'inert' },
  { tab: 'display', key: 'as', because: 'inert', only: ['textarea'] },
  { tab: 'display', key: 'isUploadEnabled', because: 'inert' },
  { tab: 'display', key: 'uploadStorage', because: 'inert' },
  { tab: 'display', key: 'uploadUrl', because: 'inert' },
  { tab: 'display', key: 'uploadOptions', because: 'inert' },
  { tab: 'display', key: 'uploadDir', because: 'inert' },
  { tab: 'display', key: 'fileKey', because: 'inert' },
  { tab: 'display', key: 'quillInfo', because: 'inert' },
  { tab: 'display', key: 'attrs', because: 'inert' },
  { tab: 'data', key: 'protected', because: 'inert' },
  { tab: 'data', key: 'dbIndex', because: 'inert' },
  { tab: 'data', key: 'encrypted', because: 'inert' },
  { tab: 'data', key: 'redrawOn', because: 'inert' },
  { tab: 'data', key: 'serverOverride', because: 'inert' },
  { tab: 'data', key: 'customOptions', because: 'inert' },
  { tab: 'data', key: 'template', because: 'inert' },
  { tab: 'validation', key: 'validateWhenHidden', because: 'inert' },
  { tab: 'validation', key: 'errors', because: 'inert' },
  { tab: 'validation', key: 'kickbox', because: 'inert' },
  { tab: 'api', key: 'tags', because: 'inert' },
  { tab: 'api', key: 'properties', because: 'inert' },
];

/** Text areas formio.js would draw with an editor from its CDN (refused by the CSP): plain instead. */
const PLAIN_TEXT: readonly Pick<HiddenOption, 'tab' | 'key' | 'only'>[] = [
  { tab: 'display', key: 'description' },
  { tab: 'display', key: 'tooltip' },
  { tab: 'display', key: 'content', only: ['htmlelement'] },
];

const applies = (option: Pick<HiddenOption, 'only' | 'except'>, type: string) =>
  (!option.only || option.only.includes(type)) && !option.except?.includes(type);

/** Edit-form fields an Attest type fills another way (the compiler derives them from `attest`). */
function derived(type: string): Record<string, string[]> {
  if (type === 'measuredValue')
    return { display: ['prefix', 'suffix'], data: ['decimalLimit', 'requireDecimal'] };
  if (type === 'calculatedValue')
    return {
      display: ['prefix', 'suffix', 'disabled', 'placeholder'],
      data: ['decimalLimit', 'requireDecimal', 'defaultValue'],
    };
  return {};
}

/**
 * The builder's `editForm` override for one component type: the hidden options dropped, the API
 * key held to what the engine accepts, and the GMP tab for inputs.
 */
export function editFormOverride(type: string, t: Translate): EditFormTab[] {
  const tabs = new Map<string, EditFormTab>();
  const tab = (key: string) => {
    let found = tabs.get(key);
    if (!found) tabs.set(key, (found = { key, components: [] }));
    return found;
  };
  for (const option of HIDDEN_OPTIONS) {
    if (!applies(option, type)) continue;
    if (option.key === undefined) tab(option.tab).ignore = true;
    else tab(option.tab).components!.push({ key: option.key, ignore: true });
  }
  for (const field of PLAIN_TEXT)
    if (applies(field, type))
      tab(field.tab).components!.push({ key: field.key, editor: '', wysiwyg: false, overrideEditForm: true });
  for (const [name, keys] of Object.entries(derived(type)))
    for (const key of keys) tab(name).components!.push({ key, ignore: true });
  tab('api').components!.push({
    key: 'key',
    overrideEditForm: true,
    validate: { required: true, pattern: KEY_PATTERN, patternMessage: t('gmp.keyPattern') },
  });
  const gmp = gmpTab(type, t);
  const out = [...tabs.values()];
  if (gmp) out.push(gmp);
  return out;
}

/** The builder's `editForm` option: an override for each type the palette offers or a form may hold. */
export function editFormOverrides(types: Iterable<string>, t: Translate): Record<string, EditFormTab[]> {
  return Object.fromEntries([...types].map((type) => [type, editFormOverride(type, t)]));
}

/**
 * A field at the top of an edit form as the dialog draws it (the content component's HTML): its
 * rich-text editor would load from formio.js's CDN, so the text area is plain.
 */
export function withoutEditors<T extends Record<string, unknown>>(field: T): T {
  if (field.type !== 'textarea' || (!field.editor && !field.wysiwyg)) return field;
  return { ...field, editor: '', wysiwyg: false };
}
