import { gmpPalette, GMP_TYPES, type PaletteEntry } from './gmpCatalogue.ts';
import type { Translate } from './texts.ts';

/**
 * What the builder's palette offers: formio.js's components the engine's compiler accepts and
 * operators can use in a step, in formio.js's own groups, and the GMP group first. Everything else
 * formio.js registers is left out, so QA never drags what the server would refuse.
 */

/** formio.js types in the palette; each compiles (a test holds this against the engine). */
export const PALETTE_TYPES: ReadonlySet<string> = new Set([
  'textfield',
  'textarea',
  'number',
  'checkbox',
  'selectboxes',
  'select',
  'radio',
  'email',
  'url',
  'datetime',
  'day',
  'time',
  'currency',
  'panel',
  'fieldset',
  'well',
  'columns',
  'tabs',
  'container',
  'datagrid',
  'editgrid',
]);

/**
 * Types the compiler accepts that the palette still leaves out; forms holding them open and save.
 * - file: the web app has no attachment store yet, and formio.js's storage providers upload elsewhere.
 * - button: the step view completes and signs a step with its own buttons and drops a form's.
 * - content, htmlelement: the GMP group's instruction is a content component; free HTML elements
 *   add nothing to it.
 */
export const WITHHELD_TYPES: ReadonlySet<string> = new Set(['file', 'button', 'content', 'htmlelement']);

/** Every type a form may hold: what the builder gives an edit form for. */
export const FORM_TYPES: ReadonlySet<string> = new Set([
  ...PALETTE_TYPES,
  ...WITHHELD_TYPES,
  ...Object.keys(GMP_TYPES),
]);

interface Group {
  title: string;
  weight: number;
  default: boolean;
  components: Record<string, PaletteEntry | boolean>;
}

const GROUPS = [
  ['basic', 'group.basic', 10],
  ['advanced', 'group.advanced', 20],
  ['layout', 'group.layout', 30],
  ['data', 'group.data', 40],
] as const;

/**
 * The builder's `builder` option. `registered` is formio.js's catalogue: each registered type and
 * the palette group its builder info puts it in; types outside the palette are switched off by name.
 */
export function builderGroups(
  registered: Record<string, string | undefined>,
  t: Translate,
): Record<string, Group | false> {
  const groups: Record<string, Group | false> = {
    gmp: { title: t('group.gmp'), weight: 0, default: true, components: gmpPalette(t) },
  };
  for (const [name, title, weight] of GROUPS) {
    const components: Record<string, boolean> = {};
    for (const [type, group] of Object.entries(registered))
      if (group === name) components[type] = PALETTE_TYPES.has(type);
    groups[name] = { title: t(title), weight, default: false, components };
  }
  groups.premium = false;
  groups.resource = false;
  return groups;
}
