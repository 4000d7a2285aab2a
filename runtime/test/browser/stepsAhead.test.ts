import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { aheadBatch, effectivePackage } from '../../../engine/test/changes/fixtures.ts';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import {
  checkTouchAndWidth,
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
} from './support.ts';

describe('Feature: an operator does a later step ahead of the flow in the browser, where the template allows it (F1)', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    const { engine } = api.ctx;
    await effectivePackage(
      engine,
      await loginAs(engine, 'quinn'),
      await loginAs(engine, 'petra'),
      aheadBatch('ab'),
    );
    for (const who of ['olivia', 'quinn'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });

  it('F1: override — the record page offers the step to her role, she signs the override with a reason, fills the step in, and the record shows it done ahead; QA is offered no step to do', async () => {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'ab', title: 'Batch 31' })).body;
    const olivia = await signedInPage({ api, browser }, 'olivia');
    const { page } = olivia;
    await page.goto(`${api.url}/#/record/${record.number}`);
    const offer = page.locator('#record-ahead li[data-ahead=clean]');
    await offer.waitFor();
    assert.match(
      await page.locator('#record-ahead').innerText(),
      /Steps that may be done ahead[\s\S]*Clean the mixer/,
    );
    await offer.locator('button').click();
    await page.waitForSelector('#change-dialog[open]');
    assert.match(
      await page.locator('#change-dialog').innerText(),
      /Do the step “Clean the mixer” ahead of the flow[\s\S]*values you enter now complete it[\s\S]*Performed \(step done out of order\)/,
    );
    await page.click('#change-dialog [data-action=confirm]');
    await page.waitForSelector('#change-reason-error:not([hidden])');
    await page.fill('#change-reason', 'The mixer is free now and the cleaning crew leaves at 14:00');
    await page.fill('#change-password', demoPassword('olivia'));
    await page.screenshot({ path: `${SCREENSHOTS}ahead-dialog.png` });
    await page.click('#change-dialog [data-action=confirm]');

    // The step opens at once, to be filled in and signed like any other.
    await page.waitForSelector('#step-form .formio-form');
    assert.match(page.url(), /#\/task\//);
    await page.fill('[name="data[title]"]', 'Batch 31');
    await page.fill('[name="data[temperature]"]', '6');
    await page.screenshot({ path: `${SCREENSHOTS}ahead-step.png` });
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');

    await page.goto(`${api.url}/#/record/${record.number}`);
    const clean = page.locator('#record-steps article[data-step="clean"]');
    await clean.waitFor();
    assert.match(
      await clean.innerText(),
      /Clean the mixer\s*Done ahead[\s\S]*Done ahead of the flow by Olivia .* Reason: The mixer is free now/,
    );
    assert.equal(await page.locator('#record-ahead').count(), 0, 'done ahead once: no longer offered');
    assert.match(
      await page.locator('#record-exceptions li.exception').first().innerText(),
      /High[\s\S]*Blocking[\s\S]*Step done ahead of the flow: “Clean the mixer”[\s\S]*while the process waited at “Dispense”/,
    );
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}ahead-record.png`, fullPage: true });
    onlyRefusals(olivia.problems, [400]);
    await olivia.close();

    // QA is not among the step's roles: the record shows no step to do ahead.
    const second = (await call('olivia', 'POST', '/api/records', { template: 'ab', title: 'Batch 32' })).body;
    const quinn = await signedInPage({ api, browser }, 'quinn');
    await quinn.page.goto(`${api.url}/#/record/${second.number}`);
    await quinn.page.locator('#record-steps article[data-step="dispense"]').waitFor();
    assert.equal(await quinn.page.locator('#record-ahead').count(), 0);
    assert.deepEqual(quinn.problems, []);
    await quinn.close();
  });
});
