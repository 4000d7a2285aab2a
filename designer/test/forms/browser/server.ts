import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Principal } from '../../../../engine/src/identity/permissions.ts';
import { designerChecks } from '../../../../engine/src/templates/designerChecks.ts';
import { securityHeaders } from '../../../../runtime/src/http/securityHeaders.ts';

/**
 * The builder's test page, built as the web app is built and served under the app's own
 * Content-Security-Policy, its server calls answered by the engine's designer checks (the form by
 * the compiler, the preview by the submission pipeline), as the designer's API answers them.
 */

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const DIST = fileURLToPath(new URL('../../../../.test-output/designer-forms/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/** Forms the page may open by name. */
export const FORMS: Record<string, string> = {
  dispensing: 'engine/test/forms/fixtures/dispensing.json',
  granulation: 'engine/test/forms/fixtures/granulation.json',
  deviationReport: 'engine/test/forms/fixtures/deviationReport.json',
  'deviation-report': 'templates/deviation/v1.0.0/forms/deviation-report.json',
  'deviation-triage': 'templates/deviation/v1.0.0/forms/deviation-triage.json',
  'deviation-investigation': 'templates/deviation/v1.0.0/forms/deviation-investigation.json',
  'deviation-approval': 'templates/deviation/v1.0.0/forms/deviation-approval.json',
  'deviation-reminder': 'templates/deviation/v1.0.0/forms/deviation-reminder.json',
  'deviation-overdue': 'templates/deviation/v1.0.0/forms/deviation-overdue.json',
};

let built: Promise<unknown> | undefined;
/** Builds the page once per run, with the web app's build settings. */
export function buildPage(): Promise<unknown> {
  built ??= build({
    configFile: false,
    root: ROOT,
    base: '/',
    logLevel: 'warn',
    define: { global: 'globalThis' },
    build: {
      outDir: DIST,
      emptyOutDir: true,
      modulePreload: { polyfill: false },
      target: 'es2022',
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 4000,
    },
  });
  return built;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
};

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

/** QA at the page: the session is the API's to check, the answers are the engine's own. */
const QA: Principal = {
  userId: 'qa',
  username: 'qa',
  printedName: 'QA',
  sessionId: 'page',
  roles: ['qa'],
  permissions: new Set(['templates.manage']),
  mustChangePassword: false,
};

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const send = (status: number, type: string, content: string | Buffer) => {
    res.writeHead(status, { 'content-type': type });
    res.end(content);
  };
  if (req.method === 'POST' && url.pathname === '/api/check')
    return send(
      200,
      TYPES['.json']!,
      JSON.stringify(designerChecks.checkForm(QA, (await body(req)).definition)),
    );
  if (req.method === 'POST' && url.pathname === '/api/preview')
    return send(
      200,
      TYPES['.json']!,
      JSON.stringify(
        designerChecks.previewForm(QA, (await body(req)) as Parameters<typeof designerChecks.previewForm>[1]),
      ),
    );
  if (url.pathname.startsWith('/forms/')) {
    const file = FORMS[url.pathname.slice('/forms/'.length)];
    return file ? send(200, TYPES['.json']!, await readFile(join(REPO, file))) : send(404, 'text/plain', '');
  }
  const path = normalize(join(DIST, url.pathname === '/' ? 'index.html' : url.pathname));
  if (!path.startsWith(DIST)) return send(404, 'text/plain', '');
  try {
    send(200, TYPES[extname(path)] ?? 'application/octet-stream', await readFile(path));
  } catch {
    send(404, 'text/plain', '');
  }
}

export interface TestPage {
  url: string;
  close(): Promise<void>;
}

/** Serves the built page; every answer carries the app's security headers. */
export async function servePage(): Promise<TestPage> {
  await buildPage();
  const server = createServer((req, res) => {
    securityHeaders(req as never, res as never, () => {
      handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
