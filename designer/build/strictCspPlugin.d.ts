import type { Plugin } from 'vite';

/** Rewrites library markup that carries inline styles, which the app's strict CSP refuses. */
export function strictCsp(): Plugin;
