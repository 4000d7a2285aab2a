import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import {
  checkTouchAndWidth,
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
} from './support.ts';

const LANDSCAPE = { width: 1280, height: 800 };
const PORTRAIT = { width: 800, height: 1280 };
/** Where the screenshots are looked at, besides the suite's own folder. */
const LOOKED_AT = '/tmp/reviewsteps-shots/';

/**
 * Review steps of the shipped Deviation (1.1.0): QA triages with the report, its exceptions and its
 * signatures beside the triage form, then reviews the audit trail in plain language and signs it.
 */
describe('Feature: QA signs what it sees in the review steps of a deviation', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this));
    for (const who of ['olivia', 'quinn'] as const) tokens[who] = await api.login(who);
    await mkdir(LOOKED_AT, { recursive: true });
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
  async function shot(page: Page, name: string) {
    await page.screenshot({ path: `${SCREENSHOTS}${name}`, fullPage: false });
    await copyFile(`${SCREENSHOTS}${name}`, `${LOOKED_AT}${name}`);
  }
  /** The deviation the scenarios follow, from report to approval. */
  let number = '';
  let id = '';
  /** Quinn at a step on a tablet held one way or the other, once `ready` shows. */
  async function atStep(taskId: string, viewport: typeof LANDSCAPE, ready: string) {
    const quinn = await signedInPage({ api, browser }, 'quinn', { viewport });
    await quinn.page.goto(`${api.url}/#/task/${taskId}`);
    await quinn.page.waitForSelector(ready);
    return quinn;
  }
  async function sign(page: Page) {
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', demoPassword('quinn'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
  }
  const box = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())!;

  const report = {
    title: 'Label mix-up at the blister line',
    description: 'Two rolls of labels of another strength were found at the blister line.',
    area: 'packaging',
    occurredAt: '2026-11-24T06:10:00.000Z',
    affectedBatches: [{ batch: 'B-2026-201' }],
    immediateActions: 'Line stopped; labels quarantined; QA informed.',
    proposedClassification: 'major',
  };

  it('Scenario: quinn triages beside the report, its exception and signatures, at 1280×800 and upright at 800×1280', async () => {
    const started = await call('olivia', 'POST', '/api/records', {
      template: 'deviation',
      title: report.title,
    });
    assert.equal(started.status, 201, started.text);
    assert.equal(started.body.template.version, '1.1.0', 'the newest shipped version is effective');
    ({ number, id } = started.body as { number: string; id: string });
    const reportTask = await openTask(number, 'report');
    await call('olivia', 'PUT', `/api/tasks/${reportTask}/values`, { data: report });
    const reported = await call('olivia', 'POST', `/api/tasks/${reportTask}/complete`, {
      data: {
        ...report,
        description: 'Two rolls of labels of the 10 mg strength were found at the 20 mg line.',
      },
      reason: 'Strengths named after the line check',
      signature: { password: demoPassword('olivia') },
    });
    assert.equal(reported.status, 200, reported.text);
    // Olivia withdraws her signature: the record is flagged with an exception for QA
    const signatures = (await call('quinn', 'GET', `/api/records/${id}/signatures`)).body.signatures as {
      id: string;
    }[];
    const withdrawn = await call('olivia', 'POST', `/api/signatures/${signatures[0]!.id}/withdraw`, {
      password: demoPassword('olivia'),
      reason: 'Signed before the batch numbers were checked',
    });
    assert.equal(withdrawn.status, 200, withdrawn.text);

    const triage = await openTask(number, 'triage');
    const upright = await atStep(triage, PORTRAIT, '#step-review #record-steps [data-step=report]');
    await upright.page.waitForSelector('#step-form .formio-form');
    // Upright, the record under review is above the form
    const [above, form] = [await box(upright.page, '#step-review'), await box(upright.page, '.step-own')];
    assert.ok(above.y + above.height <= form.y + 1, 'the record is above the form');
    await checkTouchAndWidth(upright.page);
    await shot(upright.page, 'review-triage-800x1280.png');
    await upright.close();

    const quinn = await atStep(triage, LANDSCAPE, '#step-review #record-steps [data-step=report]');
    await quinn.page.waitForSelector('#step-form .formio-form');
    // At 1280 wide, the record is beside the form
    const [beside, own] = [await box(quinn.page, '#step-review'), await box(quinn.page, '.step-own')];
    assert.ok(beside.x + beside.width <= own.x + 1 && Math.abs(beside.y - own.y) < 5, 'side by side');
    const reviewed = await quinn.page.locator('#step-review').innerText();
    assert.match(reviewed, new RegExp(`Under review: ${number}`));
    assert.match(reviewed, /10 mg strength were found at the 20 mg line/, 'the report as signed');
    assert.match(reviewed, /Strengths named after the line check/, 'the change after entry and its reason');
    assert.match(
      await quinn.page.locator('#step-review #record-exceptions').innerText(),
      /withdrew their Performed signature[\s\S]*Signed before the batch numbers were checked/,
    );
    assert.match(await quinn.page.locator('#step-review #record-signatures').innerText(), /Performed by/);
    await checkTouchAndWidth(quinn.page);
    await shot(quinn.page, 'review-triage-1280x800.png');

    await quinn.page.check('.formio-component-classification input[value="major"]');
    await quinn.page.fill(
      '[name="data[justification]"]',
      'Wrong labels reached the line; none were applied.',
    );
    await quinn.page.check('.formio-component-investigationRequired input[value="no"]');
    await sign(quinn.page);
    onlyRefusals(quinn.problems, []);
    await quinn.close();
  });

  it('C6: the audit-trail review is a step of its own: plain-language changes with their reasons, technical events folded away, signed Reviewed', async () => {
    const auditReview = await openTask(number, 'auditReview');

    const upright = await atStep(auditReview, PORTRAIT, '#trail-review ol.trail li');
    const [trail, own] = [await box(upright.page, '#step-review'), await box(upright.page, '.step-own')];
    assert.ok(trail.y + trail.height <= own.y + 1, 'the trail is above the signing');
    const changed = upright.page.locator('#trail-review li[data-type="form.values_corrected"]');
    assert.match(
      await changed.innerText(),
      /What happened: Two rolls of labels of another strength were found at the blister line\. → Two rolls of labels of the 10 mg strength were found at the 20 mg line\.[\s\S]*reason: Strengths named after the line check, by .*Olivia.*, at /,
    );
    assert.match(await upright.page.locator('#trail-review').innerText(), /Signed Reviewed: “QA triage”/);
    // A choice reads as its option's label, a label's question mark is not doubled by the colon
    assert.match(await upright.page.locator('#trail-review').innerText(), /Where did it happen: Packaging/);
    // GMP-relevant changes only, until technical events are asked for; then they come folded
    assert.equal(await upright.page.locator('#trail-review li.technical').count(), 0);
    await upright.page.check('#trail-all');
    const technical = upright.page.locator('#trail-review li.technical');
    assert.ok((await technical.count()) > 0);
    assert.equal(await technical.locator('details[open]').count(), 0, 'technical events are collapsed');
    assert.ok(await technical.locator('summary', { hasText: 'task.created' }).count());
    await upright.page.uncheck('#trail-all');
    await checkTouchAndWidth(upright.page);
    await shot(upright.page, 'review-trail-800x1280.png');
    await upright.close();

    const quinn = await atStep(auditReview, LANDSCAPE, '#trail-review ol.trail li');
    const shown = Number(/: (\d+) entr/.exec(await quinn.page.locator('#trail-extent').innerText())![1]);
    await checkTouchAndWidth(quinn.page);
    await shot(quinn.page, 'review-trail-1280x800.png');
    await sign(quinn.page);
    onlyRefusals(quinn.problems, []);
    await quinn.close();

    // Its own signature, Reviewed, naming the record and the trail as it was shown
    const dossier = (await call('quinn', 'GET', `/api/records/${id}/dossier`)).body as {
      audit: { id: number; type: string; payload: Record<string, unknown> }[];
      signatures: { meaning: string; covers: { taskId: string } | null; contentChanged: boolean }[];
    };
    const signedByReview = dossier.signatures.filter((s) => s.covers?.taskId === auditReview);
    assert.deepEqual(
      signedByReview.map((s) => [s.meaning, s.contentChanged]),
      [['Reviewed', false]],
    );
    const signed = dossier.audit.find(
      (e) => e.type === 'signature.applied' && e.payload.taskId === auditReview,
    )!;
    assert.deepEqual(signed.payload.reviewed, {
      recordId: id,
      events: shown,
      lastEventId: Math.max(...dossier.audit.filter((e) => e.id < signed.id).map((e) => e.id)),
    });
    assert.ok(await openTask(number, 'approve'), 'the approval follows the review');
  });
});
