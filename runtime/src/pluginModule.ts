import { pathToFileURL } from 'node:url';

/**
 * Imports a module of a plugin by its path. A workspace plugin's entry and simulator are TypeScript
 * sources, which Node 20 cannot import: those go through tsx, in the built runtime as in
 * development; JavaScript is imported as it is.
 */
export async function importPluginModule(path: string): Promise<unknown> {
  const url = pathToFileURL(path).href;
  if (!/\.[cm]?ts$/.test(path)) return import(url);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}
