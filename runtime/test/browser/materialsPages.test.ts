import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { cleanEquipment, listedMaterial, receivedLot } from '../../../engine/test/support/gates.ts';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import {
  checkTouchAndWidth,
  closeBrowserSuite,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
  type BrowserSuite,
  type InPage,
} from './support.ts';

describe('Feature: materials, lots and equipment in the web app', function () {
  this.timeout(300_000);
  let suite: BrowserSuite;

  before(async function () {
    suite = await openBrowserSuite(this, { templates: false });
    const { engine } = suite.api.ctx;
    await listedMaterial(engine, 'PCM', 'Paracetamol');
    await cleanEquipment(engine, 'MX-01', 'High-shear mixer');
    await engine.equipment.act(await loginAs(engine, 'quinn'), 'MX-01', {
      type: 'status_set',
      status: 'dirty',
      reason: 'Used for a trial mix',
    });
  });
  after(() => closeBrowserSuite(suite));

  const open = async (page: Page, route: string, ready: string) => {
    await page.click(`nav a[data-route=${route}]`);
    await page.waitForSelector(ready);
  };

  it('F3: QA receives a lot into quarantine, releases it with an e-signature, the badge turns to released, and its labels open as a PDF', async () => {
    const { page, problems, close } = await signedInPage(suite, 'quinn');
    await open(page, 'materials', '#materials');
    const material = page.locator('#materials tr[data-material=PCM]');
    assert.match(await material.innerText(), /SUP-A · Acme Fine Chemicals\s*Approved/);

    await page.click('#lot-receive');
    await page.waitForSelector('#receive-dialog');
    await page.selectOption('#receive-material', 'PCM');
    await page.selectOption('#receive-supplier', 'SUP-A');
    await page.fill('#receive-supplierLot', 'ACME-7781');
    await page.fill('#receive-container-1', '25');
    await page.click('#receive-add');
    await page.fill('#receive-container-2', '20');
    await page.fill('#receive-location', 'WH-A-01');
    await page.screenshot({ path: `${SCREENSHOTS}materials-receive.png` });
    await page.click('#receive-dialog [data-action=confirm]');
    await page.waitForSelector('#materials-notice:not([hidden])');
    const notice = await page.locator('#materials-notice').innerText();
    const lotNumber = /Lot (\S+) is received into quarantine/.exec(notice)?.[1];
    assert.ok(lotNumber, notice);
    const row = page.locator(`#lots tr[data-lot="${lotNumber}"]`);
    assert.equal(await row.getAttribute('data-status'), 'quarantine');
    assert.match(await row.locator('.lot-status').innerText(), /Quarantine/);
    // The filters narrow the list by status
    await page.selectOption('#lot-status', 'released');
    await page.waitForSelector('#lots-empty');
    await page.selectOption('#lot-status', 'quarantine');
    await page.waitForSelector(`#lots tr[data-lot="${lotNumber}"]`);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}materials.png`, fullPage: true });

    await row.locator('a').click();
    await page.waitForSelector('#lot-facts');
    assert.equal(await page.locator('.admin-head .lot-status').getAttribute('data-status'), 'quarantine');
    assert.equal(await page.locator('#lot-containers tr[data-container]').count(), 2);
    assert.equal(await page.locator('#lot-transactions tr[data-kind=receipt]').count(), 2);

    await page.click('#lot-release');
    await page.waitForSelector('#release-dialog');
    assert.match(await page.locator('#release-dialog-meaning').innerText(), /Released/);
    // A wrong password keeps the dialog open and releases nothing
    await page.fill('#release-dialog-password', 'not-the-password');
    await page.click('#release-dialog [data-action=confirm]');
    await page.waitForSelector('#release-dialog .message.error:not([hidden])');
    await page.fill('#release-dialog-password', demoPassword('quinn'));
    await page.click('#release-dialog [data-action=confirm]');
    await page.waitForSelector('#lot-notice:not([hidden])');
    assert.match(await page.locator('#lot-notice').innerText(), new RegExp(`Lot ${lotNumber} is released`));
    assert.equal(await page.locator('.admin-head .lot-status').getAttribute('data-status'), 'released');
    assert.equal(await page.locator('.admin-head .lot-status').innerText(), 'Released');
    const lot = await suite.api.request('GET', `/api/lots/${lotNumber}`, {
      token: await suite.api.login('quinn'),
    });
    assert.equal(lot.body.status, 'released');

    await page.selectOption('#label-kind', 'containers');
    // What the server sends for the labels, passed on to the page unchanged
    let served: { type: string | undefined; bytes: Buffer } | null = null;
    await page.route('**/api/lots/*/labels?*', async (route) => {
      const answer = await route.fetch();
      served = { type: answer.headers()['content-type'], bytes: await answer.body() };
      await route.fulfill({ response: answer });
    });
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.click('#lot-labels')]);
    // The tab shows the file the app fetched
    await tab.waitForURL(/^blob:/);
    const sent = served as { type: string | undefined; bytes: Buffer } | null;
    assert.equal(sent?.type, 'application/pdf');
    assert.equal(sent.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}materials-lot.png`, fullPage: true });
    await tab.close();
    assert.deepEqual(
      problems.filter((p) => !/status of 401/.test(p)),
      [],
    );
    await close();
  });

  it('F2: the equipment page shows each status with its badge and a piece of equipment’s logbook in order; a cleaning and a signed calibration are recorded in it', async () => {
    const { page, problems, close } = await signedInPage(suite, 'quinn');
    await open(page, 'equipment', '#equipment');
    const row = page.locator('#equipment tr[data-equipment=MX-01]');
    assert.equal(await row.getAttribute('data-status'), 'dirty');
    assert.match(await row.innerText(), /Dirty/);
    assert.match(await row.innerText(), /2099-06-30/);
    await row.locator('[data-action=logbook]').click();
    await page.waitForSelector('#logbook tr[data-type]');
    const types = async () =>
      page
        .locator('#logbook tr[data-type]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    assert.deepEqual(await types(), ['equipment.registered', 'equipment.status_set']);
    assert.match(await page.locator('#equipment-logbook').innerText(), /Used for a trial mix/);

    await row.locator('[data-action=cleaned]').click();
    await page.waitForSelector('#equipment-act-dialog');
    await page.fill('#equipment-reason', 'Cleaned to SOP-CLN-004');
    await page.click('#equipment-act-dialog [data-action=confirm]');
    await page.waitForSelector('#equipment-notice:not([hidden])');
    await page.waitForSelector('#logbook tr[data-type="equipment.cleaned"]');
    assert.deepEqual(await types(), ['equipment.registered', 'equipment.status_set', 'equipment.cleaned']);
    assert.equal(await row.getAttribute('data-status'), 'clean');

    // A calibration is signed: its meaning and signer shown, the password again and a reason
    await row.locator('[data-action=calibrated]').click();
    await page.waitForSelector('#equipment-signed-dialog');
    assert.match(await page.locator('#equipment-signed-dialog-meaning').innerText(), /Approved/);
    await page.fill('#equipment-due', '2099-09-30');
    await page.fill('#equipment-document', 'CAL-2026-117');
    await page.fill('#equipment-signed-dialog-password', demoPassword('quinn'));
    await page.fill('#equipment-signed-dialog-reason', 'Annual calibration');
    await page.click('#equipment-signed-dialog [data-action=confirm]');
    await page.waitForSelector('#logbook tr[data-type="equipment.calibrated"]');
    assert.match(await row.innerText(), /2099-09-30/);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}equipment.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  it('B3: a lot is sampled, and QA rejects it only with a reason; the page speaks Chinese too', async () => {
    const { lotNumber } = await receivedLot(suite.api.ctx.engine, 'PCM', [10, 10]);
    const { page, problems, close } = await signedInPage(suite, 'quinn');
    await page.goto(`${suite.api.url}/#/lot/${lotNumber}`);
    await page.waitForSelector('#lot-facts');
    await page.click('#lot-sample');
    await page.waitForSelector('#sample-dialog');
    await page.fill('#sample-quantity', '0.5');
    await page.click('#sample-dialog [data-action=confirm]');
    await page.waitForSelector('#lot-notice:not([hidden])');
    assert.equal(await page.locator('.admin-head .lot-status').getAttribute('data-status'), 'sampled');
    assert.equal(await page.locator('#lot-transactions tr[data-kind=sample]').count(), 1);

    await page.click('#lot-reject');
    await page.waitForSelector('#reject-dialog');
    assert.match(await page.locator('#reject-dialog-meaning').innerText(), /Rejected/);
    await page.fill('#reject-dialog-password', demoPassword('quinn'));
    await page.click('#reject-dialog [data-action=confirm]');
    await page.waitForSelector('#reject-dialog .message.error:not([hidden])');
    assert.match(await page.locator('#reject-dialog .message.error').innerText(), /Give a reason/);
    const unchanged = await suite.api.request('GET', `/api/lots/${lotNumber}`, {
      token: await suite.api.login('quinn'),
    });
    assert.equal(unchanged.body.status, 'sampled');
    await page.fill('#reject-dialog-password', demoPassword('quinn'));
    await page.fill('#reject-dialog-reason', 'Assay 96.1 %, below the 98 % limit');
    await page.click('#reject-dialog [data-action=confirm]');
    await page.waitForSelector('#lot-notice:not([hidden])');
    assert.equal(await page.locator('.admin-head .lot-status').getAttribute('data-status'), 'rejected');
    assert.equal(await page.locator('#lot-release').count(), 0);

    await page.selectOption('#language', 'zh-CN');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).document.querySelector('.admin-head .lot-status')?.textContent ===
        '不合格',
    );
    await page.screenshot({ path: `${SCREENSHOTS}materials-lot-zh-CN.png`, fullPage: true });
    await open(page, 'equipment', '#equipment');
    await page.screenshot({ path: `${SCREENSHOTS}equipment-zh-CN.png`, fullPage: true });
    await page.selectOption('#language', 'en');
    assert.deepEqual(problems, []);
    await close();
  });

  it('the pages fit a tablet held upright (800 × 1280), with touch targets of at least 44 px', async () => {
    const tablet = await signedInPage(suite, 'quinn', { viewport: { width: 800, height: 1280 } });
    const { page } = tablet;
    await open(page, 'materials', '#lots');
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}materials-tablet.png`, fullPage: true });
    await page.locator('#lots a').first().click();
    await page.waitForSelector('#lot-facts');
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}materials-lot-tablet.png`, fullPage: true });
    await open(page, 'equipment', '#equipment');
    await page.locator('#equipment [data-action=logbook]').first().click();
    await page.waitForSelector('#logbook');
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}equipment-tablet.png`, fullPage: true });
    assert.deepEqual(tablet.problems, []);
    await tablet.close();
  });
});
