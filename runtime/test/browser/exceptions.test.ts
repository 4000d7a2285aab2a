import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { effectiveExceptionTemplates } from '../../../engine/test/exceptions/fixtures.ts';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import {
  type InPage,
  checkTouchAndWidth,
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
} from './support.ts';

const TABLET = { width: 800, height: 1280 };

describe('Feature: QA decides on exceptions in the browser, and a blocking one holds the review (F4, F5)', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    const { engine } = api.ctx;
    await effectiveExceptionTemplates(engine, await loginAs(engine, 'quinn'), await loginAs(engine, 'petra'));
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });
  const session = (who: DemoUser, viewport?: { width: number; height: number }) =>
    signedInPage({ api, browser }, who, viewport ? { viewport } : {});

  /** A batch record of template `br` with its step waiting for the operator. */
  async function started(title: string) {
    const record = await call('olivia', 'POST', '/api/records', { template: 'br', title });
    assert.equal(record.status, 201, record.text);
    const tasks = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.body.instanceId}`)).body
      .tasks as { id: string }[];
    return { id: record.body.id as string, number: record.body.number as string, step: tasks[0]!.id };
  }
  const reviewTask = async (record: string) => {
    const found = (await call('quinn', 'GET', `/api/records/${record}`)).body.openTasks as {
      id: string;
      elementId: string;
    }[];
    const task = found.find((t) => t.elementId === 'review');
    assert.ok(task, `no open review on ${record}`);
    return task.id;
  };
  const exception = (page: Page) => page.locator('#record-exceptions li.exception').first();

  /** Opens the decision, signs it with the comment (and the deviation's title) and a password. */
  async function decide(
    page: Page,
    decision: 'assess' | 'accept' | 'raiseDeviation',
    comment: string,
    password: string,
    title?: string,
  ) {
    await exception(page).locator(`button[data-decision=${decision}]`).click();
    await page.waitForSelector('#exception-dialog[open]');
    await page.fill('#exception-comment', comment);
    if (title !== undefined) await page.fill('#exception-title', title);
    await page.fill('#exception-password', password);
    await page.click('#exception-dialog [data-action=confirm]');
  }

  it('F4: a temperature above its action limit is marked as it is typed; the review is refused naming the exception until QA assessed and accepted it, each signed in a dialog', async () => {
    const record = await started('Batch 7');

    // Olivia, on a tablet, types 12 °C: the field says at once that it is outside its action limits.
    const olivia = await session('olivia', TABLET);
    await olivia.page.goto(`${api.url}/#/task/${record.step}`);
    await olivia.page.waitForSelector('#step-form .formio-form');
    await olivia.page.fill('[name="data[title]"]', 'Batch 7');
    await olivia.page.fill('[name="data[temperature]"]', '5');
    assert.equal(await olivia.page.locator('.formio-component-temperature .attest-limit-breach').count(), 0);
    await olivia.page.fill('[name="data[temperature]"]', '12');
    const breach = olivia.page.locator('.formio-component-temperature .attest-limit-breach');
    await breach.waitFor();
    assert.match(await breach.innerText(), /Outside the action limits \(≤ 8 °C\)/);
    await olivia.page.screenshot({ path: `${SCREENSHOTS}exception-at-field-tablet.png`, fullPage: true });
    // Before completing, she confirms the breach, and comments on it, in a dialog of its own.
    await olivia.page.click('#step-complete');
    await olivia.page.waitForSelector('#breach-dialog[open]');
    const listed = olivia.page.locator('#breach-dialog li[data-pointer="/temperature"]');
    assert.match(
      await listed.innerText(),
      /High\s*Blocking\s*Temperature \(°C\) 12 is above the action limit 8/,
    );
    await olivia.page.click('#breach-dialog [data-action=confirm]');
    await olivia.page.waitForSelector('#breach-dialog [role=alert]:not([hidden])');
    assert.match(await olivia.page.locator('#breach-dialog [role=alert]').innerText(), /Tick the box/);
    await olivia.page.fill('#breach-comment-0', 'Cold-room door left open while loading');
    await olivia.page.check('#breach-confirmed');
    await olivia.page.screenshot({ path: `${SCREENSHOTS}exception-confirm-tablet.png`, fullPage: true });
    await olivia.page.click('#breach-dialog [data-action=confirm]');
    await olivia.page.waitForSelector('#confirm-dialog[open]');
    await olivia.page.click('#confirm-dialog [data-action=confirm]');
    await olivia.page.waitForSelector('#notice');
    assert.deepEqual(olivia.problems, []);
    await olivia.close();

    // Quinn: the review queue says an exception holds the review; completing it is refused, naming it.
    const quinn = await session('quinn');
    await quinn.page.click('nav a[data-route=review]');
    const item = quinn.page.locator('.review-queue li', { hasText: record.number });
    await item.waitFor();
    assert.match(await item.innerText(), /1 exception holds this review/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-review-queue.png`, fullPage: true });
    await item.locator('a.button', { hasText: 'Open the step' }).click();
    await quinn.page.waitForSelector('#step-complete');
    await quinn.page.click('#step-complete');
    await quinn.page.waitForSelector('#sign-dialog[open]');
    await quinn.page.fill('#sign-password', demoPassword('quinn'));
    await quinn.page.click('#sign-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#step-errors:not([hidden])');
    assert.match(
      await quinn.page.locator('#step-errors').innerText(),
      /blocking exception is not dispositioned: “Temperature/,
    );
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-review-refused.png`, fullPage: true });

    // On the record, the exception is open and holds the review; Quinn assesses it.
    await quinn.page.click('#step-to-record');
    await quinn.page.waitForSelector('#record-exceptions li.exception');
    assert.equal(await quinn.page.locator('#record-number').innerText(), record.number);
    assert.match(
      await exception(quinn.page).innerText(),
      /Blocking[\s\S]*Open: to be assessed[\s\S]*Holds the review[\s\S]*Operator’s comment: Cold-room door left open while loading/,
    );
    assert.equal(await exception(quinn.page).locator('button[data-decision]').count(), 1);
    await exception(quinn.page).locator('button[data-decision=assess]').click();
    await quinn.page.waitForSelector('#exception-dialog[open]');
    const dialog = quinn.page.locator('#exception-dialog');
    assert.match(await dialog.innerText(), /Temperature[\s\S]*You sign as Reviewed\.[\s\S]*Assessment/);
    await quinn.page.click('#exception-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#exception-comment-error:not([hidden])');
    await quinn.page.fill('#exception-comment', 'Door left open 20 min; data logger within range.');
    await quinn.page.fill('#exception-password', 'not her password');
    await quinn.page.click('#exception-dialog [data-action=confirm]');
    const alert = quinn.page.locator('#exception-dialog [role=alert]');
    await alert.filter({ hasText: /password/i }).waitFor();
    assert.equal(await quinn.page.locator('#exception-password').inputValue(), '');
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-assess-wrong-password.png` });
    await quinn.page.fill('#exception-password', demoPassword('quinn'));
    await quinn.page.click('#exception-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#exception-dialog', { state: 'detached' });
    await quinn.page.waitForSelector('#record-exceptions li.exception[data-status=assessed]');
    assert.match(await quinn.page.locator('#record-notice').innerText(), /assessed, signed as Reviewed/);
    const assessed = await exception(quinn.page).innerText();
    assert.match(assessed, /Assessed: to be decided[\s\S]*Holds the review/);
    assert.match(assessed, /Door left open 20 min[\s\S]*Reviewed by Quinn/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-assessed.png`, fullPage: true });
    await checkTouchAndWidth(quinn.page);
    onlyRefusals(quinn.problems, [401, 409]);

    // Petra, on a tablet and in Chinese, accepts it: the exception no longer holds the review.
    assert.equal((await call('petra', 'PUT', '/api/auth/language', { language: 'zh-CN' })).status, 200);
    try {
      const petra = await session('petra', TABLET);
      await petra.page.goto(`${api.url}/#/record/${record.number}`);
      await petra.page.waitForSelector('#record-exceptions li.exception');
      assert.match(await exception(petra.page).innerText(), /已评估，待决定[\s\S]*阻止审核/);
      await exception(petra.page).locator('button[data-decision=accept]').click();
      await petra.page.waitForSelector('#exception-dialog[open]');
      assert.match(
        await petra.page.locator('#exception-dialog').innerText(),
        /您的签名含义为“批准”[\s\S]*接受理由/,
      );
      await petra.page.fill(
        '#exception-comment',
        'Product unaffected: stability data cover 12 °C for an hour.',
      );
      await petra.page.fill('#exception-password', demoPassword('petra'));
      await petra.page.screenshot({ path: `${SCREENSHOTS}exception-accept-zh-CN-tablet.png` });
      await petra.page.click('#exception-dialog [data-action=confirm]');
      await petra.page.waitForSelector('#record-exceptions li.exception[data-status=accepted]');
      const accepted = await exception(petra.page).innerText();
      assert.doesNotMatch(accepted, /阻止审核/);
      assert.match(accepted, /stability data[\s\S]*Approved by Petra/);
      assert.equal(await exception(petra.page).locator('button[data-decision]').count(), 0);
      await petra.page.screenshot({
        path: `${SCREENSHOTS}exception-accepted-zh-CN-tablet.png`,
        fullPage: true,
      });
      await checkTouchAndWidth(petra.page);
      assert.deepEqual(petra.problems, []);
      await petra.close();
    } finally {
      await call('petra', 'PUT', '/api/auth/language', { language: 'en' });
    }

    // Quinn now completes the review; the record closes.
    await quinn.page.goto(`${api.url}/#/task/${await reviewTask(record.number)}`);
    await quinn.page.waitForSelector('#step-complete');
    await quinn.page.click('#step-complete');
    await quinn.page.waitForSelector('#sign-dialog[open]');
    await quinn.page.fill('#sign-password', demoPassword('quinn'));
    await quinn.page.click('#sign-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#notice');
    assert.equal((await call('quinn', 'GET', `/api/records/${record.id}`)).body.status, 'closed');
    onlyRefusals(quinn.problems, [401, 409]);
    await quinn.close();
  });

  it('F5: QA assesses an exception and raises a deviation for it from the record; the decision links to the deviation, raised from the batch', async () => {
    const record = await started('Batch 8');
    const done = await call('olivia', 'POST', `/api/tasks/${record.step}/complete`, {
      data: { title: 'Batch 8', temperature: 14, notes: '' },
      confirmed: ['/temperature'],
    });
    assert.equal(done.status, 200, done.text);

    const quinn = await session('quinn', TABLET);
    await quinn.page.goto(`${api.url}/#/record/${record.number}`);
    await quinn.page.waitForSelector('#record-exceptions li.exception[data-status=open]');
    await decide(quinn.page, 'assess', 'Cold chain may be broken; investigate.', demoPassword('quinn'));
    await quinn.page.waitForSelector('#record-exceptions li.exception[data-status=assessed]');
    assert.deepEqual(
      await exception(quinn.page)
        .locator('button[data-decision]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-decision'))),
      ['accept', 'raiseDeviation'],
    );
    await exception(quinn.page).locator('button[data-decision=raiseDeviation]').click();
    await quinn.page.waitForSelector('#exception-dialog[open]');
    assert.match(
      await quinn.page.locator('#exception-dialog').innerText(),
      /You sign as Reviewed\.[\s\S]*Why a deviation/,
    );
    await quinn.page.click('#exception-dialog [data-action=cancel]');
    await quinn.page.waitForSelector('#exception-dialog', { state: 'detached' });
    await decide(
      quinn.page,
      'raiseDeviation',
      'Cold chain broken for about an hour.',
      demoPassword('quinn'),
      'Cold chain broken on batch 8',
    );
    await quinn.page.waitForSelector('#record-exceptions li.exception[data-status=deviation]');
    const notice = await quinn.page.locator('#record-notice').innerText();
    const link = exception(quinn.page).locator('.dispositions .deviation a');
    const deviation = await link.innerText();
    assert.ok(notice.includes(`Deviation ${deviation} is raised`), notice);
    assert.match(
      await exception(quinn.page).innerText(),
      /Deviation raised[\s\S]*Cold chain broken for about an hour/,
    );
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-deviation-tablet.png`, fullPage: true });

    await link.click();
    await quinn.page.waitForFunction(
      (number) =>
        (globalThis as unknown as InPage).document.querySelector('#record-number')?.textContent === number,
      deviation,
    );
    const facts = await quinn.page.locator('dl.facts').innerText();
    assert.match(facts, new RegExp(`Raised from\\s+${record.number}`));
    assert.match(await quinn.page.locator('h1').innerText(), /Cold chain broken on batch 8/);
    await quinn.page.setViewportSize({ width: 1280, height: 800 });
    await quinn.page.screenshot({ path: `${SCREENSHOTS}exception-deviation-raised.png`, fullPage: true });
    assert.deepEqual(quinn.problems, []);
    await quinn.close();
  });
});
