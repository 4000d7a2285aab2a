import type { Infer, Schema } from './schema.ts';
import { IDENTITY_COMPONENTS } from './components/identity.ts';
import { RECORD_COMPONENTS } from './components/records.ts';
import { TEMPLATE_COMPONENTS } from './components/templates.ts';
import { DOSSIER_COMPONENTS } from './components/dossier.ts';
import { PROCESS_COMPONENTS } from './components/processes.ts';
import { FORM_AND_TASK_COMPONENTS } from './components/forms.ts';
import { OPERATION_COMPONENTS } from './components/operations.ts';
import { PLUGIN_COMPONENTS } from './components/plugins.ts';
import { DEVICE_COMPONENTS } from './components/devices.ts';
import { EQUIPMENT_COMPONENTS } from './components/equipment.ts';
import { MATERIAL_COMPONENTS } from './components/materials.ts';
import { closed } from './components/shared.ts';

export { TEMPLATE_STATUSES } from './components/shared.ts';

/**
 * What the API answers with, one module per area under components/. Closed like the request
 * schemas, so the tests that check every response against the document notice at once when the
 * two drift apart.
 */
export const COMPONENTS = {
  ...IDENTITY_COMPONENTS,
  ...RECORD_COMPONENTS,
  ...TEMPLATE_COMPONENTS,
  ...DOSSIER_COMPONENTS,
  ...PROCESS_COMPONENTS,
  ...FORM_AND_TASK_COMPONENTS,
  ...OPERATION_COMPONENTS,
  ...PLUGIN_COMPONENTS,
  ...DEVICE_COMPONENTS,
  ...EQUIPMENT_COMPONENTS,
  ...MATERIAL_COMPONENTS,
} satisfies Record<string, Schema>;

export type ComponentName = keyof typeof COMPONENTS;

/** The TypeScript type of what a schema describes, its references to components resolved. */
export type Wire<S> = Infer<S, typeof COMPONENTS>;

export const ref = <N extends ComponentName>(name: N) => ({ $ref: `#/components/schemas/${name}` }) as const;

/** An object holding one list of components under `key`, and whatever `more` adds. */
export const listOf = <
  const K extends string,
  N extends ComponentName,
  const M extends Record<string, Schema> = Record<never, never>,
>(
  key: K,
  name: N,
  description: string,
  more?: M,
) =>
  closed(
    { [key]: { type: 'array', items: ref(name) }, ...more } as {
      [k in K]: { readonly type: 'array'; readonly items: ReturnType<typeof ref<N>> };
    } & M,
    description,
  );

export const CSV = { type: 'string', description: 'RFC 4180 CSV with a header row' } as const;
export const TGZ = {
  type: 'string',
  contentMediaType: 'application/gzip',
  description: 'A gzipped tar archive',
} as const;
