import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import { HttpProblem } from './problem.ts';

/** Where `npm run build -w @attest/runtime` puts the web app. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * Serves the built web app: its hashed assets for a year, and index.html (never cached) for every
 * other page a browser asks for outside /api, so links into the app work. Everything is served
 * under the same strict Content-Security-Policy as the API.
 */
export function webApp(dir: string = WEB_DIST): RequestHandler[] {
  const index = join(dir, 'index.html');
  const assets = express.static(dir, { index: false, immutable: true, maxAge: '365d', fallthrough: true });
  return [
    (req, res, next) => (req.path.startsWith('/assets/') ? assets(req, res, next) : next()),
    (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return next();
      if (req.path.startsWith('/api') || req.path.startsWith('/assets/')) return next();
      if (!req.accepts('html')) return next();
      if (!existsSync(index)) {
        throw new HttpProblem(
          'unavailable',
          'The web app is not built here: run `npm run build -w @attest/runtime` (npm start does it)',
        );
      }
      res.set('Cache-Control', 'no-cache');
      res.sendFile(index);
    },
  ];
}
