import { createHash } from 'node:crypto';
import { existsSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { constants, gzip as gzipCallback } from 'node:zlib';
import express, { type RequestHandler } from 'express';
import { WEB_DIST } from '../paths.ts';
import { HttpProblem } from './problem.ts';

const gzip = promisify(gzipCallback);

/** Assets worth compressing; images and woff fonts are compressed already. */
const COMPRESSIBLE = new Set([
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.xml',
  '.ttf',
  '.otf',
  '.eot',
  '.ico',
  '.wasm',
]);
/** Anything larger goes out as it is rather than held in memory. */
const MAX_COMPRESSED_SOURCE = 32 * 1024 * 1024;
/** What express.static sends with `immutable` and a year, for both versions alike. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

interface Gzipped {
  mtimeMs: number;
  size: number;
  /** null when gzip would not make the file smaller. */
  body: Promise<{ bytes: Buffer; etag: string } | null>;
}

/**
 * Gzipped assets by file, shared by every app in the process: each file is compressed once (at the
 * highest level, since it is done once) when first asked for, and again only if it changes.
 */
const gzipped = new Map<string, Gzipped>();

function gzippedAsset(file: string, info: Stats): Gzipped['body'] {
  const known = gzipped.get(file);
  if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) return known.body;
  const body = readFile(file)
    .then((raw) => gzip(raw, { level: constants.Z_BEST_COMPRESSION }))
    .then((bytes) =>
      bytes.length >= info.size
        ? null
        : { bytes, etag: `"gz-${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` },
    );
  gzipped.set(file, { mtimeMs: info.mtimeMs, size: info.size, body });
  // A failure is not remembered: the next request tries again.
  body.catch(() => {
    if (gzipped.get(file)?.body === body) gzipped.delete(file);
  });
  return body;
}

/**
 * The file a path inside /assets names in `root`, or null for anything but plain names (no empty,
 * dot or `..` segments, no backslashes or NULs): those are left to express.static, which refuses them.
 */
function assetFile(root: string, path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const segments = decoded.split('/').slice(1);
  if (segments.length === 0 || segments.some((s) => s === '' || s.startsWith('.') || /[\\\0]/.test(s))) {
    return null;
  }
  const file = resolve(root, ...segments);
  return file.startsWith(root + sep) ? file : null;
}

/**
 * Compressible assets gzipped for the clients that take gzip; everything else, and every client
 * that does not, is left to express.static.
 */
function gzippedAssets(root: string): RequestHandler {
  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = assetFile(root, req.path);
    if (!file || !COMPRESSIBLE.has(extname(file).toLowerCase())) return next();
    // Shared caches must keep the two versions apart.
    res.vary('Accept-Encoding');
    if (req.acceptsEncodings('gzip', 'identity') !== 'gzip') return next();
    let info: Stats;
    try {
      info = await stat(file);
    } catch {
      return next();
    }
    if (!info.isFile() || info.size > MAX_COMPRESSED_SOURCE) return next();
    let body: Awaited<Gzipped['body']>;
    try {
      body = await gzippedAsset(file, info);
    } catch (error) {
      // Gone since the stat: a 404 like any missing asset.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return next();
      throw error;
    }
    if (!body) return next();
    res.type(extname(file));
    res.set({
      'Cache-Control': CACHE_CONTROL,
      'Content-Encoding': 'gzip',
      ETag: body.etag,
      'Last-Modified': info.mtime.toUTCString(),
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.set('Content-Length', String(body.bytes.length));
    if (req.method === 'HEAD') res.status(200).end();
    else res.status(200).end(body.bytes);
  };
}

/**
 * Serves the built web app: its hashed assets for a year (gzipped where the client takes it), and
 * index.html (never cached) for every other page a browser asks for outside /api, so links into the
 * app work. Everything is served under the same strict Content-Security-Policy as the API.
 */
export function webApp(dir: string = WEB_DIST): RequestHandler[] {
  const index = join(dir, 'index.html');
  const root = resolve(dir, 'assets');
  // Rooted at the assets folder itself, so that no /assets/ path reaches anything beside it.
  const assets = express.Router().use(
    '/assets',
    gzippedAssets(root),
    express.static(root, {
      index: false,
      redirect: false,
      immutable: true,
      maxAge: '365d',
      fallthrough: true,
    }),
  );
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
