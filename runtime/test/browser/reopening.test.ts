import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { type TestApi } from '../http/support/api.ts';
import { batchCaller, closedBatch, recordedBatch, type Caller } from '../http/support/batchRecords.ts';
import {
  checkTouchAndWidth,
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
} from './support.ts';

describe('Feature: QA in the browser — reopening a closed record (D4), and the review queue by exception', function () {
  let api: TestApi;
  let browser: Browser;
  let call: Caller;
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    ({ call } = await batchCaller(api));
  });
  after(() => closeBrowserSuite({ api, browser }));

  it('D4: QA reopens a closed record with a reason and a signature; the earlier signature is flagged; the qualified person approves it closed again', async () => {
    const record = await closedBatch(call, 'Batch 21');

    // Olivia, an operator, sees no way to reopen it.
    const olivia = await signedInPage({ api, browser }, 'olivia');
    await olivia.page.goto(`${api.url}/#/record/${record.number}`);
    await olivia.page.waitForSelector('#record-signatures');
    assert.equal(await olivia.page.locator('#record-reopen').count(), 0);
    assert.deepEqual(olivia.problems, []);
    await olivia.close();

    // Quinn reopens it: a reason is asked for, a wrong password is refused in the dialog.
    const quinn = await signedInPage({ api, browser }, 'quinn');
    await quinn.page.goto(`${api.url}/#/record/${record.number}`);
    await quinn.page.waitForSelector('#record-reopen');
    assert.match(await quinn.page.locator('.facts').innerText(), /Closed/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}reopen-closed-record.png` });
    await quinn.page.click('#record-reopen');
    await quinn.page.waitForSelector('#reopen-dialog[open]');
    const dialog = quinn.page.locator('#reopen-dialog');
    assert.match(
      await dialog.innerText(),
      /Reopen .*[\s\S]*You sign this record as Reopened\.[\s\S]*Signer: Quinn Quaye/,
    );
    await quinn.page.fill('#reopen-password', demoPassword('quinn'));
    await quinn.page.click('#reopen-dialog [data-action=confirm]');
    await dialog
      .locator('[role=alert]')
      .filter({ hasText: /reason/i })
      .waitFor();
    await quinn.page.fill('#reopen-reason', 'Late microbiology result to attach to the batch record');
    await quinn.page.fill('#reopen-password', 'not her password');
    await quinn.page.click('#reopen-dialog [data-action=confirm]');
    await dialog
      .locator('[role=alert]')
      .filter({ hasText: /password/i })
      .waitFor();
    assert.equal(await quinn.page.locator('#reopen-password').inputValue(), '');
    await quinn.page.screenshot({ path: `${SCREENSHOTS}reopen-dialog-wrong-password.png` });
    await quinn.page.fill('#reopen-password', demoPassword('quinn'));
    await quinn.page.click('#reopen-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#reopen-dialog', { state: 'detached' });
    await quinn.page.waitForSelector('#record-reopenings');
    assert.match(
      await quinn.page.locator('#record-notice').innerText(),
      /is reopened\. A new approval closes it again/,
    );
    assert.match(await quinn.page.locator('.facts').innerText(), /Reopened: to be approved again/);
    assert.equal(await quinn.page.locator('#record-reopen').count(), 0, 'reopened once at a time');
    assert.equal(
      await quinn.page.locator('#record-reapprove').count(),
      0,
      'not approved again by who reopened it',
    );
    assert.match(
      await quinn.page.locator('#record-reopenings').innerText(),
      /Reopened by Quinn Quaye \(quinn\) on .*, from Closed\. Reason: Late microbiology result[\s\S]*Still reopened/,
    );
    const reviewed = quinn.page.locator('#record-signatures li[data-meaning=Reviewed]');
    assert.match(await reviewed.innerText(), /Reviewed by Quinn Quaye[\s\S]*Given before the reopening of /);
    const reopened = quinn.page.locator('#record-signatures li[data-meaning=Reopened]');
    assert.match(await reopened.innerText(), /Reopened by Quinn Quaye[\s\S]*Reason: Late microbiology/);
    assert.equal(await reopened.locator('.badge.reopened').count(), 0);
    assert.equal(
      await quinn.page.locator('#record-steps .manifestation .badge.reopened').count(),
      1,
      'the review step’s signature is flagged where the step is shown too',
    );
    await quinn.page.locator('#record-reopenings').scrollIntoViewIfNeeded();
    await quinn.page.screenshot({ path: `${SCREENSHOTS}reopen-reopened-record.png` });
    await quinn.page.screenshot({ path: `${SCREENSHOTS}reopen-reopened-record-full.png`, fullPage: true });
    await checkTouchAndWidth(quinn.page);
    onlyRefusals(quinn.problems, [400, 401]);
    await quinn.close();

    // Petra, who holds no reopening permission, approves it: it is closed again.
    const petra = await signedInPage({ api, browser }, 'petra');
    await petra.page.goto(`${api.url}/#/record/${record.number}`);
    await petra.page.waitForSelector('#record-reapprove');
    assert.equal(await petra.page.locator('#record-reopen').count(), 0);
    await petra.page.click('#record-reapprove');
    await petra.page.waitForSelector('#reapprove-dialog[open]');
    assert.match(
      await petra.page.locator('#reapprove-dialog').innerText(),
      /You sign this record as Approved\./,
    );
    await petra.page.fill('#reapprove-password', demoPassword('petra'));
    await petra.page.click('#reapprove-dialog [data-action=confirm]');
    await petra.page.waitForSelector('#reapprove-dialog', { state: 'detached' });
    await petra.page.locator('#record-notice', { hasText: /approved and closed again/ }).waitFor();
    assert.match(await petra.page.locator('.facts').innerText(), /Closed/);
    assert.match(
      await petra.page.locator('#record-reopenings').innerText(),
      /Closed again by the approval of Petra Pohl \(petra\) on /,
    );
    assert.equal(await petra.page.locator('#record-reapprove').count(), 0);
    await petra.page.locator('#record-reopenings').scrollIntoViewIfNeeded();
    await petra.page.screenshot({ path: `${SCREENSHOTS}reopen-closed-again.png` });
    await checkTouchAndWidth(petra.page);
    assert.deepEqual(petra.problems, []);
    await petra.close();
    assert.equal((await call('quinn', 'GET', `/api/records/${record.id}`)).body.status, 'closed');
  });

  it('the review queue shows the open exceptions by severity and how long each review waits; a record without exceptions is reviewed from its summary', async () => {
    const warm = await recordedBatch(call, 'Batch 31', 12);
    const clean = await recordedBatch(call, 'Batch 32', 6);
    const quinn = await signedInPage({ api, browser }, 'quinn');
    await quinn.page.click('nav a[data-route=review]');
    const first = quinn.page.locator('.review-queue li').first();
    await first.waitFor();
    assert.match(
      await first.innerText(),
      new RegExp(`${warm.number}[\\s\\S]*1 high open[\\s\\S]*Waiting since`),
    );
    const cleanItem = quinn.page.locator('.review-queue li', { hasText: clean.number });
    assert.match(await cleanItem.innerText(), /No exceptions[\s\S]*Review from the summary/);
    assert.equal(
      await first.locator('a.summary').count(),
      0,
      'a record with exceptions is reviewed from its exceptions',
    );
    await quinn.page.screenshot({ path: `${SCREENSHOTS}review-queue-by-exception.png`, fullPage: true });
    await checkTouchAndWidth(quinn.page);

    // From the summary: steps, values and signatures at a glance; the review step one tap further.
    await cleanItem.locator('a.summary').click();
    await quinn.page.waitForSelector('#record-steps');
    assert.equal(await quinn.page.locator('#record-number').innerText(), clean.number);
    assert.match(await quinn.page.locator('#record-steps').innerText(), /Temperature[\s\S]*6 °C/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}review-from-summary.png` });
    await quinn.page.locator('#record-open a', { hasText: 'QA review' }).click();
    await quinn.page.waitForSelector('#step-complete');
    await quinn.page.click('#step-complete');
    await quinn.page.waitForSelector('#sign-dialog[open]');
    await quinn.page.fill('#sign-password', demoPassword('quinn'));
    await quinn.page.click('#sign-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#notice');
    assert.equal((await call('quinn', 'GET', `/api/records/${clean.id}`)).body.status, 'closed');
    const times = (await call('quinn', 'GET', '/api/review-lead-times')).body.items as {
      record: { number: string };
    }[];
    assert.ok(
      times.some((i) => i.record.number === clean.number),
      'its review lead time is recorded',
    );
    assert.deepEqual(quinn.problems, []);
    await quinn.close();
  });
});
