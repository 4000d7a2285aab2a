import { Templates, Utils } from '@formio/js';
import {
  configureFormio as configureBuild,
  loadTimeZones as loadZones,
  type TemplateSet,
} from '@attest/task-form/formio';
import { registerGmpComponents } from './gmpComponents.ts';

export { observeStyles } from '@attest/task-form/formio';

/** The formio.js build the builder and the preview run: the full one, with the builder. */
const BUILD = { Templates, Utils };

/**
 * formio.js as the builder and the preview run it under the app's Content-Security-Policy, set up as
 * the step view sets up its own build, with the GMP components registered.
 */
export function configureFormio(): TemplateSet {
  registerGmpComponents();
  return configureBuild(BUILD);
}

/** Time-zone data for date fields, from the app's own assets. */
export const loadTimeZones = (): Promise<void> => loadZones(BUILD);
