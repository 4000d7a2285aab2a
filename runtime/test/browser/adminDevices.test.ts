import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginRoot } from '@attest/engine';
import type { DeviceConnector } from '@attest/plugin-api';
import type { Page } from 'playwright-core';
import { pino } from 'pino';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { createDeviceHub, type DeviceHub } from '../../src/devices/hub.ts';
import { loadPlugins } from '../../src/plugins.ts';
import {
  checkTouchAndWidth,
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
  type BrowserSuite,
  type InPage,
} from './support.ts';

/** A device plugin as a plant would drop it into its plugin folder, with the settings its devices take. */
async function writeScalePlugin(dir: string): Promise<void> {
  await mkdir(join(dir, 'scale'), { recursive: true });
  await writeFile(
    join(dir, 'scale', 'package.json'),
    JSON.stringify({
      name: 'plant-scale',
      version: '1.2.0',
      type: 'module',
      attest: {
        apiVersion: 1,
        kind: 'device',
        entry: './index.js',
        settings: {
          type: 'object',
          required: ['host', 'port'],
          additionalProperties: false,
          properties: {
            host: { type: 'string', title: 'Host', description: 'IP address or name of the balance' },
            port: { type: 'integer', title: 'TCP port', minimum: 1, maximum: 65535, default: 4305 },
            protocol: { type: 'string', enum: ['MT-SICS', 'SBI'], default: 'MT-SICS' },
            tare: { type: 'boolean', title: 'Tare on connect' },
          },
        },
      },
    }),
  );
  // Its entry exports no working connector: loading it fails, and the page tells why.
  await writeFile(join(dir, 'scale', 'index.js'), 'export const connector = {};\n');
}

/** A service handler plugin; `handlers` is what its entry exports (changing it changes its hash). */
async function writeHandlerPlugin(dir: string, handlers: string): Promise<void> {
  await mkdir(join(dir, 'erp'), { recursive: true });
  await writeFile(
    join(dir, 'erp', 'package.json'),
    JSON.stringify({
      name: '@plant/erp',
      version: '2.0.0',
      type: 'module',
      attest: { apiVersion: 1, kind: 'handler', entry: './index.js' },
    }),
  );
  await writeFile(join(dir, 'erp', 'index.js'), `export const handlers = ${handlers};\n`);
}

const silent = pino({ level: 'silent' });

/** The balance the connector reaches: its load now, or unreachable. */
const balance = { load: 12503.4 };

/** A connector for plant-scale's devices as the server holds them: one answers, one cannot be reached. */
const connector: DeviceConnector = {
  open: async (settings) => {
    if (settings.host === '10.0.4.99') throw new Error('connect ECONNREFUSED 10.0.4.99:4305');
    return {
      read: async (channel) => ({
        deviceId: '',
        channel,
        value: balance.load,
        unit: 'g',
        stable: true,
        status: 'ok',
        deviceTime: null,
        serverTime: new Date().toISOString(),
        raw: `S S ${String(balance.load).padStart(12)} g`,
      }),
      close: async () => undefined,
    };
  },
};

describe('Feature: plugins and devices administered in the browser (G2, E6, C4)', function () {
  let suite: BrowserSuite;
  let hub: DeviceHub;
  let dir: string;
  let roots: PluginRoot[];
  before(async function () {
    suite = await openBrowserSuite(this, {
      templates: false,
      devices: (engine) => (hub = createDeviceHub(engine, new Map([['plant-scale', connector]]), silent)),
    });
    dir = await mkdtemp(join(tmpdir(), 'attest-admin-devices-'));
    roots = [{ dir, source: 'folder' }];
    await writeScalePlugin(dir);
    await writeHandlerPlugin(dir, '{}');
    // Built for a plugin API this Attest does not speak: refused
    await mkdir(join(dir, 'future'));
    await writeFile(
      join(dir, 'future', 'package.json'),
      JSON.stringify({
        name: 'plant-future',
        version: '9.0.0',
        attest: { apiVersion: 99, kind: 'device', entry: './index.js' },
      }),
    );
    await suite.api.ctx.engine.plugins.sync(roots);
  });
  after(async () => {
    await closeBrowserSuite(suite);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const open = async (page: Page, route: string, ready: string) => {
    await page.click(`nav a[data-route=${route}]`);
    await page.waitForSelector(ready);
  };
  const call = async (method: string, path: string, body?: unknown) =>
    suite.api.request(method, path, {
      token: await suite.api.login('adrian'),
      ...(body === undefined ? {} : { body }),
    });

  it('G2: an administrator enables a found plugin with an e-signature over its version and hash and reads its trail; a failed load and a changed package are shown; a plugin is disabled with a reason', async () => {
    const { page, problems, close } = await signedInPage(suite, 'adrian');
    await open(page, 'plugins', '#plugins');
    const row = page.locator('#plugins tr[data-plugin=plant-scale]');
    assert.equal(await row.getAttribute('data-state'), 'disabled');
    const refused = page.locator('#plugins tr[data-plugin=plant-future]');
    assert.equal(await refused.getAttribute('data-state'), 'invalid');
    assert.match(await refused.locator('[data-problem]').innerText(), /built for plugin API 99/);
    assert.equal(await refused.locator('[data-action=enable]').count(), 0);
    type Listed = { name: string; state: string; sha256: string; enabled: { sha256: string } };
    const scale = async () =>
      ((await call('GET', '/api/plugins')).body.plugins as Listed[]).find((p) => p.name === 'plant-scale')!;
    const sha256 = (await scale()).sha256;
    // The hash is shortened, and shown in full on request
    assert.equal(await row.locator('code.admin-hash').innerText(), `${sha256.slice(0, 12)}…`);
    await row.locator('[data-action=hash]').click();
    assert.equal(await row.locator('code.admin-hash').innerText(), sha256);

    await row.locator('[data-action=enable]').click();
    await page.waitForSelector('#enable-dialog');
    assert.match(
      await page.locator('#enable-dialog').innerText(),
      new RegExp(`plant-scale 1\\.2\\.0.*${sha256}`),
    );
    assert.match(await page.locator('#enable-dialog-meaning').innerText(), /Approved/);
    // A wrong password keeps the dialog open and enables nothing
    await page.fill('#enable-dialog-password', 'not-the-password');
    await page.click('#enable-dialog [data-action=confirm]');
    await page.waitForSelector('#enable-dialog .message.error:not([hidden])');
    assert.equal((await scale()).state, 'disabled');
    await page.fill('#enable-dialog-password', demoPassword('adrian'));
    await page.fill('#enable-dialog-reason', 'Validated, VAL-0042');
    await page.click('#enable-dialog [data-action=confirm]');
    await page.waitForSelector('#plugin-notice:not([hidden])');
    assert.match(await page.locator('#plugin-notice').innerText(), /plant-scale 1\.2\.0 is enabled/);
    assert.equal(await row.getAttribute('data-state'), 'enabled');
    assert.match(await row.innerText(), /Enabled 1\.2\.0 by Adrian .*\(adrian\)/);
    assert.equal(await row.locator('[data-load]').getAttribute('data-load'), 'pending');
    const plugin = await scale();
    assert.equal(plugin.state, 'enabled');
    assert.equal(plugin.enabled.sha256, sha256);

    await row.locator('[data-action=trail]').click();
    await page.waitForSelector('#plugin-trail table');
    const types = await page
      .locator('#plugin-trail tr[data-type]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    assert.ok(types.includes('plugin.discovered') && types.includes('plugin.enabled'), types.join(', '));
    assert.match(await page.locator('#plugin-trail').innerText(), /Validated, VAL-0042/);

    // At the next start it fails to load: the page says so, with the error
    assert.equal((await loadPlugins(suite.api.ctx.engine, roots, silent)).connectors.size, 0);
    // A handler enabled and then changed on disk is refused until it is enabled again
    const erp = encodeURIComponent('@plant/erp');
    const enabled = await call('POST', `/api/plugins/${erp}/enable`, { password: demoPassword('adrian') });
    assert.equal(enabled.status, 200, enabled.text);
    await writeHandlerPlugin(dir, "{ 'erp.reserve': () => ({}) }");
    await suite.api.ctx.engine.plugins.sync(roots);
    await page.reload();
    await page.waitForSelector('#plugins');
    assert.match(
      await row.locator('[data-load=failed]').innerText(),
      /Failed to load .*: its entry exports no connector/,
    );
    const changed = page.locator('#plugins tr[data-plugin="@plant/erp"]');
    assert.equal(await changed.getAttribute('data-state'), 'changed');
    assert.match(await changed.innerText(), /Changed since enabled — refused[\s\S]*Enabled was 2\.0\.0/);
    assert.match(await changed.locator('[data-action=enable]').innerText(), /Enable again/);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}admin-plugins.png`, fullPage: true });

    // Disabled with a reason the dialog asks for before it sends
    await changed.locator('[data-action=disable]').click();
    await page.waitForSelector('#disable-dialog');
    await page.fill('#disable-dialog-password', demoPassword('adrian'));
    await page.click('#disable-dialog [data-action=confirm]');
    await page.waitForSelector('#disable-dialog-reason-error:not([hidden])');
    await page.fill('#disable-dialog-reason', 'Replaced by the new ERP interface');
    await page.click('#disable-dialog [data-action=confirm]');
    await page.waitForSelector('#plugins tr[data-plugin="@plant/erp"][data-state=disabled]');
    assert.match(await page.locator('#plugin-notice').innerText(), /@plant\/erp is disabled/);
    onlyRefusals(problems, [401]);
    await close();
  });

  it('E6, C4: an administrator registers a device from its plugin’s settings schema, sees bad settings at their field, changes it with a reason, meets a conflicting change and reads the trail', async () => {
    const { page, problems, close } = await signedInPage(suite, 'adrian');
    await open(page, 'devices', '#devices-empty');
    await page.click('#device-new');
    await page.waitForSelector('#device-dialog');
    // The settings form is drawn from the plugin's JSON Schema, its defaults filled in
    assert.equal(await page.inputValue('#device-setting-port'), '4305');
    assert.equal(await page.inputValue('#device-setting-protocol'), 'MT-SICS');
    assert.equal(await page.locator('#device-setting-tare').getAttribute('type'), 'checkbox');
    assert.match(await page.locator('label[for=device-setting-host]').innerText(), /^Host$/);
    await page.fill('#device-code', 'BAL-0042');
    await page.fill('#device-name', 'Floor scale, dispensing booth 2');
    await page.selectOption('#device-kind', 'scale');
    await page.fill('#device-room', 'Dispensing 2');
    await page.fill('#device-line', 'Line A');
    await page.fill('#device-calibration', '2099-06-30');
    await page.fill('#device-setting-host', '10.0.4.21');
    await page.fill('#device-setting-port', '70000');
    await page.fill('#device-reason', 'Installed and qualified, IQ/OQ-0042');
    await page.click('#device-dialog [data-action=confirm]');
    // The server's problem+json is shown at the field it points to; nothing is registered
    await page.waitForSelector('#device-setting-port-error:not([hidden])');
    assert.match(await page.locator('#device-setting-port-error').innerText(), /65535/);
    assert.equal(await page.getAttribute('#device-setting-port', 'aria-invalid'), 'true');
    assert.deepEqual((await call('GET', '/api/devices')).body.devices, []);
    await page.screenshot({ path: `${SCREENSHOTS}admin-device-bad-settings.png` });
    await page.fill('#device-setting-port', '4305');
    await page.click('#device-dialog [data-action=confirm]');
    await page.waitForSelector('#devices tr[data-device=BAL-0042]');
    assert.match(await page.locator('#device-notice').innerText(), /BAL-0042 is registered/);
    const [registered] = (await call('GET', '/api/devices')).body.devices;
    assert.deepEqual(registered.settings, {
      host: '10.0.4.21',
      port: 4305,
      protocol: 'MT-SICS',
      tare: false,
    });
    const row = page.locator('#devices tr[data-device=BAL-0042]');
    assert.match(await row.innerText(), /Dispensing 2[\s\S]*Line A[\s\S]*2099-06-30[\s\S]*In service/);

    // Changed with a reason, the version read sent back
    await row.locator('[data-action=change]').click();
    await page.waitForSelector('#device-dialog');
    assert.equal(await page.inputValue('#device-setting-host'), '10.0.4.21');
    await page.fill('#device-room', 'Dispensing 3');
    await page.click('#device-dialog [data-action=confirm]');
    await page.waitForSelector('#device-reason-error:not([hidden])');
    await page.fill('#device-reason', 'Moved to booth 3, change CC-0113');
    await page.click('#device-dialog [data-action=confirm]');
    await page.waitForSelector('#device-notice:not([hidden])');
    assert.match(await page.locator('#device-notice').innerText(), /BAL-0042 is changed \(version 2\)/);
    assert.match(await row.innerText(), /Dispensing 3/);

    // Someone else changes it while the dialog is open: the 409 is explained and nothing is saved
    await row.locator('[data-action=change]').click();
    await page.waitForSelector('#device-dialog');
    const { id, version, code, kind, plugin, settings, room, line, calibrationDue, status } = (
      await call('GET', '/api/devices')
    ).body.devices[0];
    const other = await call('PUT', `/api/devices/${id}`, {
      ...{ code, kind, plugin, settings, room, line, calibrationDue, status },
      name: 'Floor scale, booth 3',
      reason: 'Relabelled',
      version,
    });
    assert.equal(other.status, 200, other.text);
    await page.fill('#device-line', 'Line B');
    await page.fill('#device-reason', 'Line B from now on');
    await page.click('#device-dialog [data-action=confirm]');
    await page.waitForSelector('#device-dialog .message.error:not([hidden])');
    assert.match(
      await page.locator('#device-dialog .message.error').innerText(),
      /Someone else changed BAL-0042 .*version 3, you read version 2/,
    );
    assert.equal((await call('GET', `/api/devices/${id}`)).body.line, 'Line A');
    await page.click('#device-dialog [data-action=cancel]');

    // Taken out of service with a reason
    await page.reload();
    await page.waitForSelector('#devices');
    await row.locator('[data-action=service]').click();
    await page.fill('#service-dialog-reason', 'Load cell fault, deviation DEV-2026-0042');
    await page.click('#service-dialog [data-action=confirm]');
    await page.waitForSelector('#devices tr[data-device=BAL-0042][data-state=out_of_service]');
    assert.match(await row.locator('[data-action=service]').innerText(), /Put back in service/);

    await row.locator('[data-action=trail]').click();
    await page.waitForSelector('#device-trail table');
    const types = await page
      .locator('#device-trail tr[data-type]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    assert.deepEqual(types, ['device.registered', 'device.changed', 'device.changed', 'device.changed']);
    const trail = await page.locator('#device-trail').innerText();
    assert.match(trail, /\/room: Dispensing 2 → Dispensing 3/);
    assert.match(trail, /Moved to booth 3, change CC-0113/);
    assert.match(trail, /\/status: in_service → out_of_service/);
    onlyRefusals(problems, [400, 409]);
    await close();
  });

  it('E6: a calibration past due is highlighted; each device’s live state is shown as the server holds it; the page reads in English and Chinese on a screen and a tablet', async () => {
    const register = async (code: string, name: string, host: string, calibrationDue: string) => {
      const registered = await call('POST', '/api/devices', {
        code,
        name,
        kind: code.startsWith('PH') ? 'instrument' : 'scale',
        plugin: 'plant-scale',
        settings: { host, port: 4305 },
        room: code.startsWith('PH') ? 'QC lab' : 'Dispensing 1',
        line: null,
        calibrationDue,
        status: 'in_service',
        reason: 'Installed and qualified',
      });
      assert.equal(registered.status, 201, registered.text);
      return registered.body.id as string;
    };
    await register('PH-0007', 'pH meter, QC lab', '10.0.5.7', '2020-01-31');
    const reached = await register('BAL-0043', 'Bench balance, booth 1', '10.0.4.22', '2099-03-31');
    const unreachable = await register('BAL-0044', 'Bench balance, booth 4', '10.0.4.99', '2099-03-31');
    // The server reads one (a step's Take reading does so) and fails to reach the other
    await hub.reader.read(await suite.api.ctx.engine.devices.usable(reached), 'weight');
    await assert.rejects(
      hub.reader.read(await suite.api.ctx.engine.devices.usable(unreachable), 'weight'),
      /ECONNREFUSED/,
    );

    const { page, problems, close } = await signedInPage(suite, 'adrian');
    await open(page, 'devices', '#devices');
    const row = page.locator('#devices tr[data-device=PH-0007]');
    assert.equal(await row.getAttribute('data-state'), 'calibration_due');
    assert.match(await row.locator('[data-due=past]').innerText(), /Past due/);
    const live = page.locator('#devices tr[data-device=BAL-0043]');
    await live.locator('[data-connected=true]').waitFor();
    assert.match(await live.locator('[data-reading]').innerText(), /12503\.4 g · stable · read /);
    await live.locator('.admin-raw summary').click();
    assert.equal(await live.locator('[data-raw]').innerText(), 'S S      12503.4 g');
    const down = page.locator('#devices tr[data-device=BAL-0044]');
    assert.equal(await down.locator('[data-connected]').getAttribute('data-connected'), 'false');
    assert.match(await down.locator('[data-last-error]').innerText(), /Last error, .*: .*ECONNREFUSED/);
    // A new reading shows while the page is open
    balance.load = 12498.1;
    await hub.reader.read(await suite.api.ctx.engine.devices.usable(reached), 'weight');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).document
          .querySelector('#devices tr[data-device=BAL-0043] [data-reading]')
          ?.textContent?.includes('12498.1') ?? false,
    );
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}admin-devices.png`, fullPage: true });
    await page.click('#device-new');
    await page.waitForSelector('#device-dialog');
    await page.screenshot({ path: `${SCREENSHOTS}admin-device-register.png` });
    await page.click('#device-dialog [data-action=cancel]');

    await page.selectOption('#language', 'zh-CN');
    await page.waitForSelector('nav a[data-route=devices]:text("设备")');
    await page.waitForSelector('#devices');
    const headings = await page.locator('#devices th').allInnerTexts();
    assert.deepEqual(headings, ['编号', '类型', '插件', '房间 / 产线', '校准到期日', '状态', '实时', '操作']);
    assert.match(await row.innerText(), /已过期/);
    await page.screenshot({ path: `${SCREENSHOTS}admin-devices-zh-CN.png`, fullPage: true });
    await open(page, 'plugins', '#plugins');
    assert.match(await page.locator('#plugins tr[data-plugin=plant-scale]').innerText(), /已启用/);
    await page.screenshot({ path: `${SCREENSHOTS}admin-plugins-zh-CN.png`, fullPage: true });
    await page.selectOption('#language', 'en');
    await page.waitForSelector('nav a[data-route=devices]:text("Devices")');
    assert.deepEqual(problems, []);
    await close();

    const tablet = await signedInPage(suite, 'adrian', { viewport: { width: 800, height: 1280 } });
    await open(tablet.page, 'devices', '#devices');
    await checkTouchAndWidth(tablet.page);
    await tablet.page.screenshot({ path: `${SCREENSHOTS}admin-devices-tablet.png`, fullPage: true });
    await tablet.page.click('#device-new');
    await tablet.page.waitForSelector('#device-dialog');
    await tablet.page.screenshot({ path: `${SCREENSHOTS}admin-device-register-tablet.png` });
    assert.deepEqual(tablet.problems, []);
    await tablet.close();
  });
});
