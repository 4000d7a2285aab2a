import type { Schema } from './schema.ts';
import { IDENTITY_COMPONENTS } from './components/identity.ts';
import { RECORD_COMPONENTS } from './components/records.ts';
import { TEMPLATE_COMPONENTS } from './components/templates.ts';
import { DOSSIER_COMPONENTS } from './components/dossier.ts';
import { PROCESS_COMPONENTS } from './components/processes.ts';
import { FORM_AND_TASK_COMPONENTS } from './components/forms.ts';
import { OPERATION_COMPONENTS } from './components/operations.ts';
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
} satisfies Record<string, Schema>;

export type ComponentName = keyof typeof COMPONENTS;

export const ref = (name: ComponentName): Schema => ({ $ref: `#/components/schemas/${name}` });

export const listOf = (
  key: string,
  name: ComponentName,
  description: string,
  more: Record<string, Schema> = {},
): Schema => closed({ [key]: { type: 'array', items: ref(name) }, ...more }, description);

export const CSV = { type: 'string', description: 'RFC 4180 CSV with a header row' } as const;
export const TGZ = {
  type: 'string',
  contentMediaType: 'application/gzip',
  description: 'A gzipped tar archive',
} as const;
