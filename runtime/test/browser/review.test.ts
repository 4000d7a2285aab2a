import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import { onlyRefusals, SCREENSHOTS, openBrowserSuite, closeBrowserSuite, signedInPage } from './support.ts';

describe('Feature: QA reviews and approves a deviation in the browser', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this));
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });
  const openTask = async (record: string, elementId: string) => {
    const found = await call('quinn', 'GET', `/api/records/${record}`);
    const task = (found.body.openTasks as { id: string; elementId: string }[]).find(
      (t) => t.elementId === elementId,
    );
    assert.ok(task, `no open ${elementId} on ${record}`);
    return task.id;
  };
  const signatures = async (record: string) =>
    (
      (await call('quinn', 'GET', `/api/records/${record}/signatures`)).body.signatures as {
        meaning: string;
        manifestation: { userId: string };
      }[]
    ).map((s) => `${s.manifestation.userId}:${s.meaning}`);

  /** The audit-trail review before each approval, signed by QA through the API (its screen has a test of its own). */
  const reviewTrail = async (record: string) => {
    const reviewed = await call(
      'quinn',
      'POST',
      `/api/tasks/${await openTask(record, 'auditReview')}/complete`,
      {
        signature: { password: demoPassword('quinn') },
      },
    );
    assert.equal(reviewed.status, 200, reviewed.text);
  };
  const session = (who: DemoUser) => signedInPage({ api, browser }, who);
  async function openStep(page: Page, taskId: string) {
    await page.goto(`${api.url}/#/task/${taskId}`);
    await page.waitForSelector('#step-form .formio-form');
  }
  const choose = (page: Page, key: string, value: string) =>
    page.check(`.formio-component-${key} input[value="${value}"]`);
  async function sign(page: Page, password: string, reason?: string) {
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', password);
    if (reason !== undefined) await page.fill('#sign-reason', reason);
    await page.click('#sign-dialog [data-action=confirm]');
  }

  it('B5: quinn triages from her review queue; the triager may not approve; petra rejects with a reason, then approves; the record shows it all and downloads as a PDF', async () => {
    // Olivia reported the deviation on the floor.
    const started = await call('olivia', 'POST', '/api/records', {
      template: 'deviation',
      title: 'Label mix-up at the blister line',
    });
    assert.equal(started.status, 201, started.text);
    const number = started.body.number as string;
    const reported = await call('olivia', 'POST', `/api/tasks/${await openTask(number, 'report')}/complete`, {
      data: {
        title: 'Label mix-up at the blister line',
        description: 'Two rolls of labels of another strength were found at the blister line before use.',
        area: 'packaging',
        occurredAt: '2026-11-24T06:10:00.000Z',
        affectedBatches: [{ batch: 'B-2026-201' }],
        immediateActions: 'Line stopped; labels quarantined; QA informed.',
        proposedClassification: 'major',
      },
      signature: { password: demoPassword('olivia') },
    });
    assert.equal(reported.status, 200, reported.text);

    // Quinn: the review queue shows the triage; the record view shows the report; she triages.
    const quinn = await session('quinn');
    await quinn.page.click('nav a[data-route=review]');
    const item = quinn.page.locator('.review-queue li', { hasText: number });
    await item.waitFor();
    assert.match(await item.innerText(), /QA triage · Reviewed/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}review-queue.png`, fullPage: true });
    await item.locator('a.task-main').click();
    await quinn.page.waitForSelector('#record-steps [data-step=report]');
    assert.equal(await quinn.page.locator('#record-number').innerText(), number);
    assert.match(
      await quinn.page.locator('#record-steps [data-step=report]').innerText(),
      /Two rolls of labels[\s\S]*Olivia/,
    );
    await quinn.page.click('#record-open a');
    await quinn.page.waitForSelector('#step-form .formio-form');
    await choose(quinn.page, 'classification', 'major');
    await quinn.page.fill(
      '[name="data[justification]"]',
      'Wrong labels reached the line; none were applied.',
    );
    await choose(quinn.page, 'investigationRequired', 'no');
    await sign(quinn.page, demoPassword('quinn'));
    await quinn.page.waitForSelector('#notice');
    assert.deepEqual(await signatures(started.body.id), ['olivia:Performed', 'quinn:Reviewed']);
    await reviewTrail(number);

    // The triager may not approve what she triaged: refused, nothing signed.
    await openStep(quinn.page, await openTask(number, 'approve'));
    await choose(quinn.page, 'classification', 'major');
    await choose(quinn.page, 'decision', 'approve');
    // Refused as she asks to complete, before a password is asked for.
    await quinn.page.click('#step-complete');
    await quinn.page.waitForSelector('#step-errors:not([hidden])');
    assert.equal(await quinn.page.locator('#sign-dialog').count(), 0);
    assert.match(await quinn.page.locator('#step-errors').innerText(), /second person is required/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}approve-refused-to-triager.png`, fullPage: true });
    assert.deepEqual(await signatures(started.body.id), [
      'olivia:Performed',
      'quinn:Reviewed',
      'quinn:Reviewed',
    ]);
    onlyRefusals(quinn.problems, [403]);
    await quinn.close();

    // Petra rejects: a rejection needs a reason; with one, it is signed as Rejected.
    const petra = await session('petra');
    await openStep(petra.page, await openTask(number, 'approve'));
    await choose(petra.page, 'classification', 'major');
    await choose(petra.page, 'decision', 'reject');
    await petra.page.fill('[name="data[comments]"]', 'Say how the labels reached the line.');
    await sign(petra.page, demoPassword('petra'));
    await petra.page.waitForSelector('#sign-dialog [role=alert]:not([hidden])');
    assert.match(await petra.page.locator('#sign-dialog [role=alert]').innerText(), /reason/i);
    await petra.page.fill('#sign-password', demoPassword('petra'));
    await petra.page.fill('#sign-reason', 'The root cause is not stated.');
    await petra.page.click('#sign-dialog [data-action=confirm]');
    await petra.page.waitForSelector('#notice');
    assert.deepEqual(await signatures(started.body.id), [
      'olivia:Performed',
      'quinn:Reviewed',
      'quinn:Reviewed',
      'petra:Rejected',
    ]);

    // Without an investigation, a rejection sends the deviation back to triage; Petra then approves.
    const triaged = await call('quinn', 'POST', `/api/tasks/${await openTask(number, 'triage')}/complete`, {
      data: {
        classification: 'major',
        justification: 'Labels of two strengths shared one rack; none were applied.',
        investigationRequired: 'no',
      },
      reason: 'The justification now states how the labels reached the line.',
      signature: { password: demoPassword('quinn') },
    });
    assert.equal(triaged.status, 200, triaged.text);
    await reviewTrail(number);
    await openStep(petra.page, await openTask(number, 'approve'));
    await choose(petra.page, 'classification', 'major');
    await choose(petra.page, 'decision', 'approve');
    await sign(petra.page, demoPassword('petra'));
    await petra.page.waitForSelector('#notice');
    assert.deepEqual(await signatures(started.body.id), [
      'olivia:Performed',
      'quinn:Reviewed',
      'quinn:Reviewed',
      'petra:Rejected',
      'quinn:Reviewed',
      'quinn:Reviewed',
      'petra:Approved',
    ]);

    // The record as QA reads it: closed, every signature with its manifestation, the audit trail.
    await petra.page.goto(`${api.url}/#/record/${number}`);
    await petra.page.waitForSelector('#record-signatures li');
    assert.match(await petra.page.locator('.facts').innerText(), /Closed/);
    const manifestations = await petra.page.locator('#record-signatures .manifestation').allInnerTexts();
    assert.equal(manifestations.length, 7);
    assert.match(manifestations[3]!, /^Rejected by .*\(petra\) on /);
    assert.match(await petra.page.locator('#record-signatures').innerText(), /The root cause is not stated/);
    const total = Number(/of (\d+)/.exec(await petra.page.locator('#audit-count').innerText())![1]);
    await petra.page.selectOption('#audit-type', 'signature.applied');
    assert.match(await petra.page.locator('#audit-count').innerText(), new RegExp(`^7 of ${total} `));
    await petra.page.screenshot({ path: `${SCREENSHOTS}record-review.png`, fullPage: true });
    const [csv] = await Promise.all([petra.page.waitForEvent('download'), petra.page.click('#audit-csv')]);
    assert.equal(csv.suggestedFilename(), `${number}-audit-trail.csv`);
    const text = await readFile((await csv.path())!, 'utf8');
    assert.match(text.split('\n')[0]!, /^recordId,seq,at,type,actorId,actorName/);
    assert.ok(text.includes('signature.applied'));
    // D6: the printout, made on the server, downloaded as the record's number.
    const [pdf] = await Promise.all([petra.page.waitForEvent('download'), petra.page.click('#record-pdf')]);
    assert.equal(pdf.suggestedFilename(), `${number}.pdf`);
    const bytes = await readFile((await pdf.path())!);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    onlyRefusals(petra.problems, [400]);
    await petra.close();
  });
});
