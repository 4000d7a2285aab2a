import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import {
  onlyRefusals,
  SCREENSHOTS,
  signIn,
  watchedPage,
  openBrowserSuite,
  closeBrowserSuite,
} from './support.ts';

/** A weighing step with a critical value typed by hand and a field that may be N/A (no shipped template has one). */
const WEIGHING_FORM = {
  title: 'Weigh the API',
  components: [
    {
      type: 'content',
      key: 'instruction',
      input: false,
      html: '<p>Tare the container, weigh the API on the bench balance and type the weight it shows.</p>',
    },
    {
      type: 'measuredValue',
      key: 'weight',
      label: 'Net weight',
      input: true,
      validate: { required: true },
      attest: {
        unit: 'g',
        decimals: 1,
        capture: 'manual',
        critical: true,
        limits: { alert: { min: 99, max: 101 }, action: { min: 98, max: 102 } },
      },
    },
    {
      type: 'textfield',
      key: 'sieve',
      label: 'Sieve used',
      input: true,
      validate: { required: true, maxLength: 40 },
      attest: { naAllowed: true },
    },
  ],
};
const WEIGHING_PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:attest="http://attest.dev/schema/bpmn/1.0"
                  id="weighing-definitions" targetNamespace="http://attest.dev/test">
  <bpmn:process id="weighing" name="Weigh the API" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="weigh" />
    <bpmn:userTask id="weigh" name="Weigh the API" attest:formKey="weighing" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f2" sourceRef="weigh" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`;

/** Two steps without a form: one done on a confirmation, one the model signs. */
const HANDOVER_PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:attest="http://attest.dev/schema/bpmn/1.0"
                  id="handover-definitions" targetNamespace="http://attest.dev/test">
  <bpmn:process id="handover" name="Line handover" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="clean" />
    <bpmn:userTask id="clean" name="Clear the line" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f2" sourceRef="clean" targetRef="confirm" />
    <bpmn:userTask id="confirm" name="Confirm the line is clear" attest:candidateRoles="operator" attest:signatureMeaning="Performed" />
    <bpmn:sequenceFlow id="f3" sourceRef="confirm" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`;

describe('Feature: the operator’s step view — a step’s form drawn by formio.js, signed, verified', function () {
  let api: TestApi;
  let browser: Browser;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this));
    for (const who of ['olivia', 'oscar', 'quinn'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });

  /** Olivia reports a deviation: a record whose first step, the signed report, waits in My tasks. */
  async function reported(title: string) {
    const started = await call('olivia', 'POST', '/api/records', { template: 'deviation', title });
    assert.equal(started.status, 201, started.text);
    const record = await call('olivia', 'GET', `/api/records/${started.body.id}`);
    const task = record.body.openTasks.find((t: { elementId: string }) => t.elementId === 'report');
    return { id: started.body.id as string, number: started.body.number as string, task: task.id as string };
  }
  const signaturesOf = async (recordId: string) =>
    (await call('quinn', 'GET', `/api/records/${recordId}/signatures`)).body.signatures as {
      meaning: string;
      manifestation: { userId: string };
    }[];

  async function openStep(page: Page, who: DemoUser, taskId: string) {
    await signIn(page, api.url, who, demoPassword(who));
    await page.waitForSelector('#who');
    await page.goto(`${api.url}/#/task/${taskId}`);
    await page.waitForSelector('#step-form .formio-form');
  }

  /** Fills the deviation report as an operator would; `without` leaves that field empty. */
  async function fillReport(page: Page, without?: string) {
    if (without !== 'title') await page.fill('[name="data[title]"]', 'Torn liner on a lactose drum');
    await page.fill(
      '[name="data[description]"]',
      'The inner liner of drum 3 of lactose lot L-778 was torn when the drum was opened in dispensing.',
    );
    await page.selectOption('[name="data[area]"]', { label: 'Dispensing' });
    const when = page.locator('.formio-component-occurredAt input.form-control:visible');
    await when.fill('2026-11-24 08:30');
    await when.press('Enter');
    await page.fill('[name="data[immediateActions]"]', 'Drum quarantined and labelled; QA informed.');
  }

  it('olivia opens her report from My tasks: the step, its record, the instructions, the form drawn by formio.js under the strict CSP', async () => {
    const response = await fetch(`${api.url}/`, { headers: { accept: 'text/html' } });
    assert.doesNotMatch(response.headers.get('content-security-policy') ?? '', /unsafe-eval|unsafe-inline/);
    const record = await reported('Torn liner on a lactose drum');
    const { page, problems, close } = await watchedPage(browser);
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(api.url) && !r.url().startsWith('data:')) external.push(r.url());
    });
    await signIn(page, api.url, 'olivia', demoPassword('olivia'));
    await page.waitForSelector('.task');
    await page.locator('.task', { hasText: record.number }).locator('a.task-main').click();
    await page.waitForSelector('#step-form .formio-form');
    assert.match(page.url(), new RegExp(`#/task/${record.task}$`));
    assert.equal(await page.locator('#step-name').innerText(), 'Report the deviation');
    assert.match(await page.locator('#step-record').innerText(), new RegExp(`${record.number} · Torn liner`));
    assert.match(await page.locator('#step-signature').innerText(), /electronic signature .* Performed/);
    assert.match(await page.locator('#step-form').innerText(), /Report a deviation as soon as you notice it/);
    assert.equal(await page.locator('nav a.active').innerText(), 'My tasks');
    await fillReport(page);
    await page.screenshot({ path: `${SCREENSHOTS}step-report.png`, fullPage: true });
    // Touch targets: the page's buttons and the form's inputs are at least 44 px high
    for (const selector of ['#page button', '#step-form .form-control:visible']) {
      for (const height of await page
        .locator(selector)
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height)))
        assert.ok(height >= 44, `${selector} is ${height}px high`);
    }
    assert.deepEqual(external, [], 'nothing is fetched from a CDN');
    assert.deepEqual(problems, []);
    await close();
  });

  it('E7: a required field left empty: the server’s message is shown at that field and listed at the top; nothing is signed', async () => {
    const record = await reported('Hardness below the lower limit');
    const { page, problems, close } = await watchedPage(browser);
    await openStep(page, 'olivia', record.task);
    await fillReport(page, 'title');
    // A row of a grid left empty too: its error goes to that row's field
    await page.click('.formio-component-affectedBatches .formio-button-add-row');
    await page.waitForSelector('[name="data[affectedBatches][0][batch]"]');
    // The server checks the values before the signature is asked for: no password typed in vain.
    await page.click('#step-complete');
    await page.waitForSelector('#step-errors:not([hidden])');
    assert.equal(await page.locator('#sign-dialog').count(), 0, 'no signature was asked for');
    const atField = page.locator('.formio-component-title .attest-field-error');
    assert.match(await atField.innerText(), /Short title is required/);
    assert.match(await page.locator('#step-errors').innerText(), /Short title is required/);
    const inRow = page.locator(
      '.formio-component-affectedBatches .formio-component-batch .attest-field-error',
    );
    assert.match(await inRow.innerText(), /Batch number in row 1 is required/);
    await page.screenshot({ path: `${SCREENSHOTS}step-required-field.png`, fullPage: true });
    // Corrected, the field no longer carries the refusal; the other does until it is corrected too
    await page.fill('[name="data[title]"]', 'Tablet press 2: hardness below the lower limit');
    await atField.waitFor({ state: 'detached' });
    assert.equal(await inRow.count(), 1);
    assert.deepEqual(await signaturesOf(record.id), []);
    onlyRefusals(problems, [400]);
    await close();
  });

  it('B1: cancelling the password prompt sends nothing and leaves nothing signed', async () => {
    const record = await reported('Wrong label on a bin');
    const { page, problems, close } = await watchedPage(browser);
    await openStep(page, 'olivia', record.task);
    const completions: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/complete')) completions.push(r.url());
    });
    await fillReport(page);
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    assert.equal(await page.locator('#sign-meaning').innerText(), 'You sign this step as Performed.');
    assert.equal(await page.locator('#sign-signer').innerText(), 'Signer: Olivia Ortega (olivia)');
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.screenshot({ path: `${SCREENSHOTS}step-sign-dialog.png` });
    await page.click('#sign-dialog [data-action=cancel]');
    await page.waitForSelector('#sign-dialog', { state: 'detached' });
    assert.deepEqual(completions, []);
    assert.deepEqual(await signaturesOf(record.id), []);
    const task = await call('olivia', 'GET', `/api/tasks/${record.task}`);
    assert.equal(task.body.status, 'open');
    // Escape cancels too
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#sign-dialog', { state: 'detached' });
    assert.deepEqual(completions, []);
    assert.deepEqual(problems, []);
    await close();
  });

  it('B1: olivia completes her report with her password (a wrong one signs nothing); quinn then finds the triage in My tasks', async () => {
    const record = await reported('Spilled granulate at the tablet press');
    const { page, problems, close } = await watchedPage(browser);
    await openStep(page, 'olivia', record.task);
    await fillReport(page);
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', 'not-my-Password-1');
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#sign-dialog [role=alert]:not([hidden])');
    assert.match(
      await page.locator('#sign-dialog [role=alert]').innerText(),
      /password is wrong; nothing was signed/,
    );
    assert.deepEqual(await signaturesOf(record.id), []);
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
    assert.match(
      await page.locator('#notice').innerText(),
      /“Report the deviation” is completed and signed \(Performed\)/,
    );
    assert.equal(
      await page.locator('.task', { hasText: record.number }).count(),
      0,
      'the report left her list',
    );
    await page.screenshot({ path: `${SCREENSHOTS}tasks-after-signing.png`, fullPage: true });
    assert.deepEqual(
      (await signaturesOf(record.id)).map((s) => `${s.manifestation.userId}:${s.meaning}`),
      ['olivia:Performed'],
    );
    onlyRefusals(problems, [401]);
    await close();

    const quinn = await watchedPage(browser);
    await signIn(quinn.page, api.url, 'quinn', demoPassword('quinn'));
    await quinn.page.waitForSelector('.task');
    assert.match(await quinn.page.locator('.task', { hasText: record.number }).innerText(), /QA triage/);
    await quinn.page.screenshot({ path: `${SCREENSHOTS}tasks-quinn-triage.png`, fullPage: true });
    assert.deepEqual(quinn.problems, []);
    await quinn.close();
  });

  it('B1: a step without a form completes on a confirmation, or with the signature its model asks for', async () => {
    const deployed = await call('quinn', 'POST', '/api/processes', { xml: HANDOVER_PROCESS });
    assert.equal(deployed.status, 201, deployed.text);
    const started = await call('olivia', 'POST', '/api/processes/handover/instances', {});
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'olivia', demoPassword('olivia'));
    await page.waitForSelector('#who');
    await page.goto(`${api.url}/#/task/${started.body.openTasks[0].id}`);
    await page.waitForSelector('#step-no-form');
    assert.equal(await page.locator('#step-signature').count(), 0);
    await page.click('#step-complete');
    await page.waitForSelector('#confirm-dialog[open]');
    assert.match(await page.locator('#confirm-dialog').innerText(), /Complete “Clear the line”\?/);
    await page.click('#confirm-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
    const next = (await call('olivia', 'GET', `/api/instances/${started.body.id}`)).body.openTasks[0].id;
    await page.goto(`${api.url}/#/task/${next}`);
    await page.waitForSelector('#step-no-form');
    assert.match(await page.locator('#step-signature').innerText(), /Performed/);
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
    assert.match(
      await page.locator('#notice').innerText(),
      /“Confirm the line is clear” is completed and signed/,
    );
    const instance = await call('olivia', 'GET', `/api/instances/${started.body.id}`);
    assert.equal(instance.body.status, 'completed');
    assert.deepEqual(problems, []);
    await close();
  });

  it('E5: oscar verifies the critical weight olivia typed, on her screen with his own id and password; B5: she may not verify it herself', async () => {
    assert.equal(
      (await call('quinn', 'POST', '/api/forms', { key: 'weighing', definition: WEIGHING_FORM })).status,
      201,
    );
    const deployed = await call('quinn', 'POST', '/api/processes', { xml: WEIGHING_PROCESS });
    assert.equal(deployed.status, 201, deployed.text);
    const started = await call('olivia', 'POST', '/api/processes/weighing/instances', {});
    assert.equal(started.status, 201, started.text);
    const task = started.body.openTasks[0].id as string;

    const { page, problems, close } = await watchedPage(browser, { width: 1024, height: 768 });
    await openStep(page, 'olivia', task);
    // Units, limits and what the value needs are shown at the field
    const weight = page.locator('.formio-component-weight');
    assert.match(await weight.locator('.input-group-text').innerText(), /^g$/);
    const notes = await weight.locator('.attest-note').allInnerTexts();
    assert.deepEqual(notes, [
      'Alert limits 99.0–101.0 g',
      'Action limits 98.0–102.0 g',
      'Critical: a value typed by hand needs a second person',
    ]);
    await page.fill('[name="data[weight]"]', '100.4');
    await page.click('.formio-component-attestNa__sieve input[type=checkbox]');
    await page.waitForSelector('[name="data[attestNaReason__sieve]"]');
    assert.equal(await page.locator('[name="data[sieve]"]').count(), 0, 'an N/A field steps aside');
    await page.fill('[name="data[attestNaReason__sieve]"]', 'The API is weighed unsieved at this step');
    await page.click('#step-save');
    await page.waitForSelector('#step-verification');
    assert.match(await page.locator('#step-status').innerText(), /Saved/);
    const saved = await call('olivia', 'GET', `/api/tasks/${task}/form`);
    const sieve = saved.body.values.find((v: { pointer: string }) => v.pointer === '/sieve');
    assert.equal(sieve.naReason, 'The API is weighed unsieved at this step');

    // B3: a value saved before changes only with a reason; the change is marked at the field
    await page.fill('[name="data[weight]"]', '101.5');
    await page.click('#step-save');
    await page.waitForSelector('#step-reason[aria-invalid=true]');
    assert.match(await page.locator('#step-errors').innerText(), /Reason for changing values entered before/);
    await page.fill('#step-reason', 'Read the display before it was stable');
    await page.click('#step-save');
    await page.waitForSelector('.formio-component-weight .attest-changed');
    assert.equal(await page.locator('[name="data[sieve]"]').count(), 0, 'saved N/A answers stay N/A');
    assert.equal(
      await page.locator('[name="data[attestNaReason__sieve]"]').inputValue(),
      'The API is weighed unsieved at this step',
    );
    assert.match(
      await page.locator('.formio-component-weight .attest-changed').innerText(),
      /Changed after its first entry \(was 100\.4\): Read the display before it was stable/,
    );
    assert.match(await page.locator('#step-verification').innerText(), /Net weight: 101\.5 g/);
    await page.screenshot({ path: `${SCREENSHOTS}step-verification-needed.png`, fullPage: true });

    await page.click('#step-verify');
    await page.waitForSelector('#verify-dialog[open]');
    await page.fill('#verify-username', 'olivia');
    await page.fill('#verify-password', demoPassword('olivia'));
    await page.click('#verify-dialog [data-action=confirm]');
    await page.waitForSelector('#verify-dialog [role=alert]:not([hidden])');
    assert.match(await page.locator('#verify-dialog [role=alert]').innerText(), /different person/);
    await page.fill('#verify-username', 'oscar');
    await page.fill('#verify-password', demoPassword('oscar'));
    await page.screenshot({ path: `${SCREENSHOTS}step-verify-dialog.png` });
    await page.click('#verify-dialog [data-action=confirm]');
    await page.waitForSelector('#verify-dialog', { state: 'detached' });
    await page.waitForSelector('#step-status:not([hidden])');
    assert.match(await page.locator('#step-status').innerText(), /verified/);
    assert.equal(await page.locator('#step-verification').count(), 0);
    const verified = await call('olivia', 'GET', `/api/tasks/${task}/form`);
    const value = verified.body.values.find((v: { pointer: string }) => v.pointer === '/weight');
    const oscar = (await call('oscar', 'GET', '/api/auth/me')).body.user.id;
    assert.equal(value.verifiedBy, oscar);

    // 101.5 g is outside the alert limits: she confirms it first (no comment asked), then,
    // the step not signed by the model, completing asks for a confirmation, no password
    await page.click('#step-complete');
    await page.waitForSelector('#breach-dialog[open]');
    assert.match(
      await page.locator('#breach-dialog li').innerText(),
      /Low\s*Net weight \(g\) 101\.5 is above the alert limit 101\.0[\s\S]*Your comment \(optional\)/,
    );
    await page.check('#breach-confirmed');
    await page.click('#breach-dialog [data-action=confirm]');
    await page.waitForSelector('#confirm-dialog[open]');
    assert.equal(await page.locator('#confirm-dialog input[type=password]').count(), 0);
    await page.click('#confirm-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');
    assert.match(await page.locator('#notice').innerText(), /“Weigh the API” is completed/);
    const instance = await call('olivia', 'GET', `/api/instances/${started.body.id}`);
    assert.equal(instance.body.status, 'completed');
    // The done step shows as completed, read-only, with the exceptions its values raised
    await page.goto(`${api.url}/#/task/${task}`);
    await page.waitForSelector('#step-form .formio-form');
    assert.equal(await page.locator('#step-complete').count(), 0);
    assert.ok(await page.locator('[name="data[weight]"]').isDisabled());
    assert.equal(
      await page.locator('[name="data[attestNaReason__sieve]"]').inputValue(),
      'The API is weighed unsieved at this step',
    );
    const exceptions = await page.locator('#step-exceptions li').allInnerTexts();
    assert.ok(
      exceptions.some((e) => /Net weight/.test(e)),
      exceptions.join('\n'),
    );
    assert.ok(
      exceptions.some((e) => /N\/A/.test(e)),
      exceptions.join('\n'),
    );
    await page.screenshot({ path: `${SCREENSHOTS}step-done-exceptions.png`, fullPage: true });
    onlyRefusals(problems, [400, 403]);
    await close();
  });

  it('a step speaks the person’s language: the app’s texts and formio.js’s own (Simplified Chinese)', async () => {
    const record = await reported('漏液 at the filling line');
    const chinese = await call('olivia', 'PUT', '/api/auth/language', { language: 'zh-CN' });
    assert.equal(chinese.status, 200, chinese.text);
    const { page, problems, close } = await watchedPage(browser);
    try {
      await openStep(page, 'olivia', record.task);
      assert.equal(await page.locator('nav a').first().innerText(), '我的任务');
      await page.fill('[name="data[description]"]', 'short');
      await page.locator('[name="data[description]"]').blur();
      const message = page.locator('.formio-component-description .formio-errors');
      await message.filter({ hasText: /\S/ }).waitFor({ timeout: 5000 });
      assert.match(await message.innerText(), /至少需要 10 个字符/);
      await page.screenshot({ path: `${SCREENSHOTS}step-zh-CN.png`, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await close();
      await call('olivia', 'PUT', '/api/auth/language', { language: 'en' });
    }
  });
});
