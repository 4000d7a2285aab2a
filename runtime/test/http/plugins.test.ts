import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginRoot } from '@attest/engine';
import { pino } from 'pino';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { loadPlugins } from '../../src/plugins.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { expectInput } from './support/refusals.ts';

const silent = pino({ level: 'silent' });

async function writePlugin(dir: string, folder: string, pkg: object, entry: string): Promise<string> {
  const path = join(dir, folder);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, 'package.json'), JSON.stringify({ version: '1.0.0', type: 'module', ...pkg }));
  await writeFile(join(path, 'index.js'), entry);
  return path;
}

describe('Feature: plugins enabled by an administrator’s signature over HTTP, and loaded at start as enabled (G2, C4)', () => {
  let api: TestApi;
  let dir: string;
  let roots: PluginRoot[];
  let handlerFolder: string;
  const tokens = { adrian: '', quinn: '' };

  before(async () => {
    api = await startTestApi();
    for (const who of ['adrian', 'quinn'] as const) tokens[who] = await api.login(who);
    dir = await mkdtemp(join(tmpdir(), 'attest-plugins-'));
    roots = [{ dir, source: 'folder' }];
    handlerFolder = await writePlugin(
      dir,
      'erp',
      { name: '@plant/erp', attest: { apiVersion: 1, kind: 'handler', entry: './index.js' } },
      "export const handlers = { 'erp.reserve': () => ({ variables: { reserved: true } }) };\n",
    );
    await writePlugin(
      dir,
      'scale',
      { name: 'plant-scale', attest: { apiVersion: 1, kind: 'device', entry: './index.js' } },
      'export const connector = { open: async () => { throw new Error("no scale here"); } };\n',
    );
    await writePlugin(
      dir,
      'broken',
      { name: 'plant-broken', attest: { apiVersion: 1, kind: 'handler', entry: './index.js' } },
      'export const handlers = {};\n',
    );
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });
  const enable = (name: string, who: keyof typeof tokens = 'adrian') =>
    call(who, 'POST', `/api/plugins/${encodeURIComponent(name)}/enable`, {
      password: demoPassword(who),
      reason: 'Validated, VAL-0042',
    });
  const trail = async (name: string) => {
    const events = await call('adrian', 'GET', `/api/plugins/${encodeURIComponent(name)}/audit`);
    assert.equal(events.status, 200, events.text);
    return (events.body.events as { type: string; payload: Record<string, unknown> }[]).map((e) => e.type);
  };

  it('G2: nothing is loaded until an administrator enables it with a signature; then a handler is registered and a connector kept, each load audited', async () => {
    assert.equal((await loadPlugins(api.ctx.engine, roots, silent)).connectors.size, 0);
    const listed = await call('adrian', 'GET', '/api/plugins');
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.plugins.map((p: { name: string; state: string }) => [p.name, p.state]),
      [
        ['@plant/erp', 'disabled'],
        ['plant-broken', 'disabled'],
        ['plant-scale', 'disabled'],
      ],
    );
    assertProblem(await call('quinn', 'GET', '/api/plugins'), 403, 'not-allowed');
    assertProblem(await enable('@plant/erp', 'quinn'), 403, 'not-allowed');
    assertProblem(
      await call('adrian', 'POST', `/api/plugins/${encodeURIComponent('@plant/erp')}/enable`, {
        password: 'x',
      }),
      401,
      'unauthenticated',
    );
    expectInput(
      await call('adrian', 'POST', '/api/plugins/plant-scale/disable', { password: 'x' }),
      '/reason',
    );
    assertProblem(await enable('nobody-has-this'), 404, 'not-found');

    for (const name of ['@plant/erp', 'plant-scale', 'plant-broken']) {
      const enabled = await enable(name);
      assert.equal(enabled.status, 200, enabled.text);
      assert.equal(enabled.body.state, 'enabled');
      assert.equal(enabled.body.enabled.by.username, 'adrian');
    }
    const loaded = await loadPlugins(api.ctx.engine, roots, silent);
    assert.deepEqual([...loaded.connectors.keys()], ['plant-scale']);
    assert.deepEqual(await trail('@plant/erp'), [
      'plugin.discovered',
      'signature.applied',
      'plugin.enabled',
      'plugin.loaded',
    ]);
    assert.equal(
      (await trail('plant-broken')).at(-1),
      'plugin.load_failed',
      'an entry without handlers is not loaded',
    );
  });

  it('G2, C4: a plugin whose package changed after it was enabled is refused at start, audited, until enabled again', async () => {
    await writeFile(
      join(handlerFolder, 'index.js'),
      "export const handlers = { 'erp.reserve': () => ({ variables: { reserved: false } }) };\n",
    );
    await loadPlugins(api.ctx.engine, roots, silent);
    assert.deepEqual((await trail('@plant/erp')).slice(-2), ['plugin.changed', 'plugin.refused']);
    const listed = (await call('adrian', 'GET', '/api/plugins')).body.plugins;
    assert.equal(listed.find((p: { name: string }) => p.name === '@plant/erp').state, 'changed');
    assert.equal((await enable('@plant/erp')).status, 200);
    // Enabled again as it is now, it is among what the next start loads.
    assert.deepEqual(
      (await api.ctx.engine.plugins.loadable()).map((p) => p.name),
      ['@plant/erp', 'plant-broken', 'plant-scale'],
    );
  });
});
