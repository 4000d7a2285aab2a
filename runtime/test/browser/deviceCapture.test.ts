import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { GRANULATE_FORM } from '../../../engine/test/support/devices.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import { startScaleEngine } from '../http/support/scale.ts';
import { makeEffective, testManifest, testPackage, testProcess } from '../http/support/templatePackage.ts';
import { closeBrowserSuite, onlyRefusals, openBrowserSuite, SCREENSHOTS, signedInPage } from './support.ts';

const TABLET = { width: 1280, height: 800 };
const PORTRAIT = { width: 800, height: 1280 };

/** The report step of the test template: what was weighed, and its net weight from the scale. */
const weighingForm = () => ({
  title: 'Report',
  display: 'form',
  components: [
    { type: 'textfield', key: 'what', label: 'What was weighed', input: true, validate: { required: true } },
    { ...GRANULATE_FORM.components[0], attest: { ...GRANULATE_FORM.components[0]!.attest, critical: false } },
  ],
});

/**
 * Feature: an operator takes a weight from an MT-SICS scale (simulated on the loopback, spoken to by
 * the enabled plugin) into a step on a tablet; the record and its printout show the device and
 * its raw answer (E2, E3, E6).
 */
describe('Feature: Take reading from a scale into a step, on a tablet, in English and Chinese', function () {
  let api: TestApi;
  let browser: Browser;
  let rig: Awaited<ReturnType<typeof startScaleEngine>>;
  const tokens = {} as Record<DemoUser, string>;

  before(async function () {
    rig = await startScaleEngine();
    ({ api, browser } = await openBrowserSuite(this, { ctx: rig.ctx, devices: rig.hub, templates: false }));
    for (const who of ['olivia', 'quinn', 'petra', 'adrian'] as const) tokens[who] = await api.login(who);
    await makeEffective(
      api,
      tokens,
      'tst',
      testPackage('1.0.0', {
        manifest: testManifest('1.0.0', { title: 'Weighing report' }),
        process: testProcess(),
        form: weighingForm(),
      }),
    );
    const registered = await call('adrian', 'POST', '/api/devices', rig.device);
    assert.equal(registered.status, 201, registered.text);
  });
  after(async () => {
    await closeBrowserSuite({ api, browser });
    await rig?.close();
  });

  function call(who: DemoUser, method: string, path: string, body?: unknown) {
    return api.request(method, path, { token: tokens[who], body });
  }
  async function startRecord(title: string) {
    const started = await call('olivia', 'POST', '/api/records', { template: 'tst', title });
    assert.equal(started.status, 201, started.text);
    const task = (started.body.openTasks as { id: string; elementId: string }[]).find(
      (t) => t.elementId === 'report',
    )!;
    return { number: started.body.number as string, task: task.id };
  }
  async function openStep(page: Page, task: string) {
    await page.goto(`${api.url}/#/task/${task}`);
    await page.waitForSelector('#step-form .formio-form');
    await page.waitForSelector('#device-netWeight');
  }
  const live = (page: Page) => page.locator('#device-netWeight-live');
  async function liveShows(page: Page, pattern: RegExp) {
    for (let i = 0; i < 100 && !pattern.test(await live(page).innerText()); i++)
      await page.waitForTimeout(100);
    assert.match(await live(page).innerText(), pattern);
  }

  let number = '';

  it('E2, E3: olivia sees the scale live, takes the reading into the step; what she typed meanwhile stays; the record shows the device and its answer', async () => {
    const record = await startRecord('Granulate weighed on BAL-0101');
    number = record.number;
    const olivia = await signedInPage({ api, browser }, 'olivia', { viewport: TABLET });
    const { page } = olivia;
    await openStep(page, record.task);
    // The one scale of the room is chosen; what it shows now, before anything is entered
    assert.match(await page.locator('#device-netWeight-choice option:checked').innerText(), /BAL-0101/);
    await liveShows(page, /On the device now: 12503\.4 g · stable/);
    await page.fill('[name="data[what]"]', 'Granulate, drum 3');
    await page.screenshot({ path: `${SCREENSHOTS}device-live-tablet.png` });

    await page.click('#device-netWeight-take');
    await page.waitForSelector('#step-status:has-text("entered from BAL-0101")');
    assert.equal(await page.inputValue('[name="data[netWeight]"]'), '12.503');
    assert.equal(await page.inputValue('[name="data[what]"]'), 'Granulate, drum 3', 'typed, not lost');
    assert.match(
      await page.locator('#device-netWeight-entered').innerText(),
      /Entered from BAL-0101: 12\.503 kg · the device answered “S S {4}12503\.4 g”/,
    );
    await page.screenshot({ path: `${SCREENSHOTS}device-taken-tablet.png` });

    // The scale settles no more: refused with the scale's own reason; nothing changes
    rig.scale.set({ stable: false });
    await page.click('#device-netWeight-take');
    const refused = page.locator('#device-netWeight-error');
    await refused.waitFor();
    assert.match(await refused.innerText(), /BAL-0101 could not be read: .*Nothing was entered\./);
    assert.equal(await page.inputValue('[name="data[netWeight]"]'), '12.503');
    await refused.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}device-refused-tablet.png` });
    rig.scale.set({ stable: true });
    // The live view, cut by the failed read, comes back by itself
    await liveShows(page, /On the device now: 12503\.4 g · stable/);

    // Completed: the value is the one read, from the device (no reason asked, no exception)
    await page.click('#step-complete');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
    onlyRefusals(olivia.problems, [502]);
    await olivia.close();

    const dossier = (await call('quinn', 'GET', `/api/records/${number}/dossier`)).body;
    const steps = dossier.steps as {
      values: { pointer: string; source: string; device: { deviceId: string; raw: string } }[];
    }[];
    const weight = steps.flatMap((s) => s.values).find((v) => v.pointer === '/netWeight')!;
    assert.deepEqual([weight.source, weight.device.deviceId], ['device', 'BAL-0101']);
    assert.match(weight.device.raw, /^S S\s+12503\.4 g$/);
    assert.deepEqual(dossier.exceptions, [], 'a value from the device raises no exception');

    const quinn = await signedInPage({ api, browser }, 'quinn', { viewport: TABLET });
    await quinn.page.goto(`${api.url}/#/record/${number}`);
    const shown = quinn.page.locator('text=/Device BAL-0101, reading S S\\s+12503\\.4 g/');
    await shown.first().waitFor();
    await shown.first().scrollIntoViewIfNeeded();
    await quinn.page.screenshot({ path: `${SCREENSHOTS}device-record-tablet.png` });
    onlyRefusals(quinn.problems, []);
    await quinn.close();
  });

  it('E3: the printout prints the value with its device, channel and raw reading', async function () {
    if (!['pdftotext'].every((tool) => !spawnSync(tool, ['-v']).error)) this.skip();
    const printout = await call('quinn', 'GET', `/api/records/${number}/printout`);
    assert.equal(printout.status, 200, printout.text);
    const dir = join(SCREENSHOTS, '..', 'printouts');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${number}-device.pdf`);
    await writeFile(file, printout.bytes);
    const text = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
    assert.match(text, /Net weight\s+12\.503 kg\s+Device BAL-0101/);
    assert.match(text, /Raw reading: "S S\s+12503\.4 g"\s+Channel weight/);
  });

  it('E6: in Chinese on a portrait tablet, a scale out of service is shown and cannot be chosen', async () => {
    assert.equal((await call('olivia', 'PUT', '/api/auth/language', { language: 'zh-CN' })).status, 200);
    const second = await call('adrian', 'POST', '/api/devices', {
      ...rig.device,
      code: 'BAL-0102',
      name: 'Bench scale, granulation',
      status: 'out_of_service',
      reason: 'Failed the daily check',
    });
    assert.equal(second.status, 201, second.text);
    const record = await startRecord('Second drum');
    const olivia = await signedInPage({ api, browser }, 'olivia', { viewport: PORTRAIT });
    try {
      await openStep(olivia.page, record.task);
      const options = olivia.page.locator('#device-netWeight-choice option');
      assert.match(await options.nth(2).innerText(), /BAL-0102.*（?\(?已停用/);
      assert.equal(await options.nth(2).isDisabled(), true);
      await olivia.page.selectOption('#device-netWeight-choice', { label: await options.nth(1).innerText() });
      await liveShows(olivia.page, /设备当前读数：12503\.4 g · 稳定/);
      assert.equal(await olivia.page.locator('#device-netWeight-take').innerText(), '读取');
      await olivia.page.screenshot({ path: `${SCREENSHOTS}device-live-zh-CN-portrait.png` });
      onlyRefusals(olivia.problems, []);
    } finally {
      await olivia.close();
      await call('olivia', 'PUT', '/api/auth/language', { language: 'en' });
    }
  });
});
