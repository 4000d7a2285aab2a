import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { extname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WEB_DIST } from '../../src/paths.ts';
import { buildWebApp } from '../browser/support.ts';
import { startTestApi, type TestApi } from './support/api.ts';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as sent, not decoded (fetch would gunzip it). */
  body: Buffer;
}

/** One request with exactly these headers and the path as written, no normalising. */
function raw(url: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<RawResponse>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const GZIP = { 'accept-encoding': 'gzip, deflate, br' };
const YEAR = 'public, max-age=31536000, immutable';

/** The headers every asset keeps, compressed or not: type, a year's immutable caching, the strict CSP. */
function assertAssetHeaders(response: RawResponse, type: RegExp) {
  assert.equal(response.status, 200);
  assert.match(response.headers['content-type'] ?? '', type);
  assert.equal(response.headers['cache-control'], YEAR);
  assert.match(String(response.headers.vary), /Accept-Encoding/i);
  const csp = String(response.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
}

describe('Feature: the web app’s assets go out gzipped to browsers that take gzip', function () {
  let api: TestApi;
  const assets: { path: string; bytes: Buffer }[] = [];
  const script = () => assets.find((a) => a.path.endsWith('.js'))!;

  before(async () => {
    await buildWebApp();
    for (const name of await readdir(join(WEB_DIST, 'assets'))) {
      assets.push({ path: `/assets/${name}`, bytes: await readFile(join(WEB_DIST, 'assets', name)) });
    }
    assert.ok(
      assets.some((a) => a.path.endsWith('.js')),
      'the build has scripts',
    );
    api = await startTestApi();
  });
  after(async () => {
    await api?.close();
  });

  it('a script asked for with gzip comes gzipped: the same bytes once gunzipped, fewer on the wire', async () => {
    const { path, bytes } = script();
    const response = await raw(api.url, path, GZIP);
    assertAssetHeaders(response, /^(text|application)\/javascript/);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.equal(Number(response.headers['content-length']), response.body.length);
    assert.ok(response.body.length < bytes.length / 2, `${response.body.length} of ${bytes.length} bytes`);
    assert.deepEqual(gunzipSync(response.body), bytes);

    const again = await raw(api.url, path, GZIP);
    assert.deepEqual(again.body, response.body, 'compressed once, the same each time');
    assert.equal(again.headers.etag, response.headers.etag);
  });

  it('every script, style sheet and data file is gzipped the same way', async () => {
    const compressible = assets.filter((a) => ['.js', '.css', '.json', '.svg'].includes(extname(a.path)));
    assert.ok(compressible.some((a) => a.path.endsWith('.css')));
    for (const { path, bytes } of compressible) {
      const response = await raw(api.url, path, { 'accept-encoding': 'gzip' });
      assertAssetHeaders(response, /./);
      assert.equal(response.headers['content-encoding'], 'gzip', path);
      assert.deepEqual(gunzipSync(response.body), bytes, path);
    }
  });

  it('a client that does not take gzip gets the file as it is, with the same type and caching', async () => {
    const { path, bytes } = script();
    const plain: Record<string, string>[] = [
      {},
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'br, gzip;q=0' },
    ];
    for (const headers of plain) {
      const response = await raw(api.url, path, headers);
      assertAssetHeaders(response, /^(text|application)\/javascript/);
      assert.equal(response.headers['content-encoding'], undefined, JSON.stringify(headers));
      assert.deepEqual(response.body, bytes);
    }
  });

  it('HEAD gives the headers of the gzipped script and no body', async () => {
    const { path } = script();
    const got = await raw(api.url, path, GZIP);
    const head = await raw(api.url, path, GZIP, 'HEAD');
    assertAssetHeaders(head, /^(text|application)\/javascript/);
    assert.equal(head.headers['content-encoding'], 'gzip');
    assert.equal(head.headers['content-length'], got.headers['content-length']);
    assert.equal(head.headers.etag, got.headers.etag);
    assert.equal(head.body.length, 0);
  });

  it('a browser that has the gzipped script is told it has not changed', async () => {
    const { path } = script();
    const first = await raw(api.url, path, GZIP);
    const revalidated = await raw(api.url, path, { ...GZIP, 'if-none-match': first.headers.etag! });
    assert.equal(revalidated.status, 304);
    assert.equal(revalidated.body.length, 0);
    const plain = await raw(api.url, path);
    assert.notEqual(plain.headers.etag, first.headers.etag, 'each version has its own ETag');
  });

  it('a missing asset is a 404, gzip or not, and no path leads out of the assets folder', async () => {
    for (const headers of [GZIP, {}]) {
      const missing = await raw(api.url, '/assets/nothing-here.js', headers);
      assert.equal(missing.status, 404);
      assert.match(missing.headers['content-type'] ?? '', /^application\/problem\+json/);
    }
    const index = await readFile(join(WEB_DIST, 'index.html'));
    for (const path of [
      '/assets/../index.html',
      '/assets/..%2Findex.html',
      '/assets/%2e%2e/index.html',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/..%5C..%5Cpackage.json',
      '/assets/.hidden.js',
      '/assets/%00.js',
      '/assets/%E0%A4%A.js',
    ]) {
      for (const headers of [GZIP, {}]) {
        const response = await raw(api.url, path, headers);
        assert.ok([400, 403, 404].includes(response.status), `${path}: ${response.status}`);
        assert.equal(response.headers['content-encoding'], undefined, path);
        assert.ok(!response.body.equals(index), `${path} must not serve index.html`);
        assert.doesNotMatch(response.body.toString('utf8'), /"workspaces"|"@attest\/runtime"/, path);
      }
    }
  });
});
