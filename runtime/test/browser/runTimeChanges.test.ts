import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { effectiveOrderedBatch } from '../../../engine/test/changes/fixtures.ts';
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

describe('Feature: QA skips and adds steps of a running record in the browser, each signed with a reason (D7)', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    const { engine } = api.ctx;
    await effectiveOrderedBatch(engine, await loginAs(engine, 'quinn'), await loginAs(engine, 'petra'));
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });
  const step = (page: Page, elementId: string) =>
    page.locator(`#record-steps article[data-step="${elementId}"]`);

  it('D7: QA skips the waiting step and adds one in signed dialogs; the steps list shows each change with who, when and why; an operator is offered none', async () => {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'ob', title: 'Batch 12' })).body;

    const quinn = await signedInPage({ api, browser }, 'quinn');
    const { page } = quinn;
    await page.goto(`${api.url}/#/record/${record.number}`);
    await step(page, 'dispense').waitFor();
    await step(page, 'dispense').locator('button[data-change-kind=skip]').click();
    await page.waitForSelector('#change-dialog[open]');
    assert.match(
      await page.locator('#change-dialog').innerText(),
      /Skip the step “Dispense”[\s\S]*withdrawn without values[\s\S]*Approved \(run-time change\)/,
    );
    await page.click('#change-dialog [data-action=confirm]');
    await page.waitForSelector('#change-reason-error:not([hidden])');
    await page.fill('#change-reason', 'Balance out of service; dispensed under the paper SOP');
    await page.fill('#change-password', 'not his password');
    await page.click('#change-dialog [data-action=confirm]');
    await page
      .locator('#change-dialog [role=alert]')
      .filter({ hasText: /password/i })
      .waitFor();
    assert.equal(await page.locator('#change-password').inputValue(), '');
    await page.screenshot({ path: `${SCREENSHOTS}change-skip-dialog.png` });
    await page.fill('#change-password', demoPassword('quinn'));
    await page.click('#change-dialog [data-action=confirm]');
    await page.waitForSelector('#change-dialog', { state: 'detached' });
    await page.waitForSelector('#record-steps article[data-step="dispense"][data-status=skipped]');
    assert.match(await page.locator('#record-notice').innerText(), /The step was skipped/);
    assert.match(
      await step(page, 'dispense').innerText(),
      /Skipped[\s\S]*Skipped by Quinn Quaye \(quinn\) on .*Reason: Balance out of service/,
    );
    await step(page, 'mix').waitFor();

    await page.click('#change-add');
    await page.waitForSelector('#change-dialog[open]');
    await page.locator('#change-form option[value=closure]').waitFor({ state: 'attached' });
    await page.selectOption('#change-form', 'closure');
    await page.fill('#change-name', 'Extra cleaning check');
    await page.fill('#change-reason', 'Spill next to the balance');
    await page.fill('#change-password', demoPassword('quinn'));
    await page.screenshot({ path: `${SCREENSHOTS}change-add-dialog.png` });
    await page.click('#change-dialog [data-action=confirm]');
    await page.waitForSelector('#change-dialog', { state: 'detached' });
    const added = step(page, 'added:closure');
    await added.waitFor();
    assert.match(await added.innerText(), /Extra cleaning check\s*Added[\s\S]*Added by Quinn Quaye/);
    const exceptions = page.locator('#record-exceptions li.exception');
    assert.equal(await exceptions.count(), 2);
    assert.match(
      await exceptions.first().innerText(),
      /High[\s\S]*Blocking[\s\S]*Step skipped by a run-time change/,
    );
    // Quinn made both changes: she is offered no decision on them (another person of QA decides).
    assert.equal(await exceptions.locator('button[data-decision]').count(), 0);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}change-record-steps.png`, fullPage: true });
    onlyRefusals(quinn.problems, [400, 401]);
    await quinn.close();

    const olivia = await signedInPage({ api, browser }, 'olivia');
    await olivia.page.goto(`${api.url}/#/record/${record.number}`);
    await step(olivia.page, 'mix').waitFor();
    assert.equal(await olivia.page.locator('#change-add, [data-change-kind]').count(), 0);
    assert.doesNotMatch(await step(olivia.page, 'dispense').innerText(), /Completed by/);

    // The added step opens like any other, with the form the change chose, signed as Performed.
    await olivia.page.click('#record-open a:has-text("Extra cleaning check")');
    await olivia.page.waitForSelector('#step-form .formio-form');
    await olivia.page.check('[name="data[closed]"]');
    await olivia.page.screenshot({ path: `${SCREENSHOTS}change-added-step.png` });
    await olivia.page.click('#step-complete');
    await olivia.page.waitForSelector('#sign-dialog[open]');
    await olivia.page.fill('#sign-password', demoPassword('olivia'));
    await olivia.page.click('#sign-dialog [data-action=confirm]');
    await olivia.page.waitForSelector('#notice');
    assert.deepEqual(olivia.problems, []);
    await olivia.close();

    // Petra reads the record in Chinese: the skipped and added steps and the change dialog speak it too.
    assert.equal((await call('petra', 'PUT', '/api/auth/language', { language: 'zh-CN' })).status, 200);
    const petra = await signedInPage({ api, browser }, 'petra');
    await petra.page.goto(`${api.url}/#/record/${record.number}`);
    await step(petra.page, 'dispense').waitFor();
    assert.match(
      await step(petra.page, 'dispense').innerText(),
      /已跳过[\s\S]*由 Quinn Quaye \(quinn\) 于 .* 跳过。理由：/,
    );
    assert.match(await step(petra.page, 'added:closure').innerText(), /新增[\s\S]*已完成/);
    await step(petra.page, 'added:closure')
      .locator('button[data-change-kind=repeat]')
      .waitFor({ state: 'detached' });
    await step(petra.page, 'mix').locator('button[data-change-kind=skip]').click();
    await petra.page.waitForSelector('#change-dialog[open]');
    assert.match(await petra.page.locator('#change-dialog').innerText(), /跳过步骤“Mix”[\s\S]*变更理由/);
    await petra.page.screenshot({ path: `${SCREENSHOTS}change-skip-dialog-zh-CN.png` });
    await petra.page.click('#change-dialog [data-action=cancel]');
    await petra.page.waitForSelector('#change-dialog', { state: 'detached' });
    assert.deepEqual(petra.problems, []);
    await petra.close();
  });
});
