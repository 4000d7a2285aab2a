import { fileURLToPath } from 'node:url';

/*
 * Places on disk the runtime reads, relative to this module. It sits one folder below
 * `runtime/`, as the built `runtime/dist/attest.js` does, so the same paths hold for both.
 */

/** Where `npm run build` puts the web app. */
export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

/** The shipped template packages, templates/<id>/v<version>/ in the repository. */
export const SHIPPED_TEMPLATES = new URL('../../templates/', import.meta.url);

/** The workspace's plugin packages, plugins/<name>/ in the repository. */
export const WORKSPACE_PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
