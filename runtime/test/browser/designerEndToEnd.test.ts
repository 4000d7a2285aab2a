import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createColleague, demoPassword } from '../../../engine/test/support/testEngine.ts';
import { diffPackages } from '../../../engine/src/templates/diff.ts';
import { readDraftFiles, readPackageTgz } from '../../../engine/src/templates/package.ts';
import { builderDialog, dialogField, dragComponent } from '../../../designer/test/forms/builderPage.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import { onlyRefusals, SCREENSHOTS, openBrowserSuite, closeBrowserSuite, signedInPage } from './support.ts';

type Point = { x: number; y: number };
/** The page's DOM as the callbacks that run in the browser read it (this program has no DOM types). */
interface Dom {
  document: {
    querySelector(selector: string): { value?: string; dataset?: Record<string, string> } | null;
  };
}

/**
 * The designer from end to end, as a plant uses it: QA turns a paper SOP into a template by drag and
 * drop, a second QA reviews and approves it with a signature, it is made effective, and an operator
 * runs a record on it; then the next version, reviewed as a diff of the diagrams.
 */
describe('Feature: a template designed in the browser goes through approval and runs', function () {
  this.timeout(600_000);
  let api: TestApi;
  let browser: Browser;
  let quentinPassword: string;
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    quentinPassword = (await createColleague(api.ctx, 'quentin', ['qa'])).password;
  });
  after(() => closeBrowserSuite({ api, browser }));

  /**
   * A page signed in as a demo user or as Quentin, the app drawn; it records console errors and CSP
   * violations.
   */
  function signedIn(username: DemoUser | 'quentin', viewport: { width: number; height: number }) {
    const password = username === 'quentin' ? quentinPassword : demoPassword(username);
    return signedInPage({ api, browser }, username, { password, viewport });
  }

  /** The screen point of a diagram element's centre. */
  async function centre(page: Page, id: string): Promise<Point> {
    const box = (await page.locator(`#modeler .djs-element[data-element-id="${id}"]`).boundingBox())!;
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }

  const elementIds = (page: Page, kind: 'shape' | 'connection') =>
    page.$$eval(`#modeler .djs-${kind}[data-element-id]`, (els) =>
      els.map((e) => e.getAttribute('data-element-id')!).filter((id) => !id.endsWith('_label')),
    );

  /**
   * diagram-js takes a click within 400 ms of a drag's end for the drag's ghost click and drops it;
   * QA's next click comes later than that.
   */
  const afterDrag = (page: Page) => page.waitForTimeout(450);

  /** Drags an entry of the palette onto the canvas, as QA does with the mouse; the new element's id. */
  async function dragFromPalette(page: Page, action: string, to: Point): Promise<string> {
    const before = new Set(await elementIds(page, 'shape'));
    const entry = (await page.locator(`.djs-palette [data-action="${action}"]`).boundingBox())!;
    await page.mouse.move(entry.x + entry.width / 2, entry.y + entry.height / 2);
    await page.mouse.down();
    await page.mouse.move(entry.x + 80, entry.y + 20, { steps: 5 });
    await page.mouse.move(to.x, to.y, { steps: 15 });
    await page.mouse.up();
    await afterDrag(page);
    const added = (await elementIds(page, 'shape')).filter((id) => !before.has(id));
    if (added.length !== 1) await page.screenshot({ path: '/tmp/drop.png' });
    assert.equal(added.length, 1, `one ${action} was dropped: ${added.join()}`);
    return added[0]!;
  }

  /** Draws a sequence flow with the context pad's connect tool; the new flow's id. */
  async function connect(page: Page, from: string, to: string): Promise<string> {
    const before = new Set(await elementIds(page, 'connection'));
    await select(page, from);
    await page.click('.djs-context-pad [data-action="connect"]');
    const target = await centre(page, to);
    await page.mouse.move(target.x - 10, target.y, { steps: 5 });
    await page.mouse.move(target.x, target.y, { steps: 5 });
    await page.mouse.down();
    await page.mouse.up();
    await afterDrag(page);
    const added = (await elementIds(page, 'connection')).filter((id) => !before.has(id));
    assert.equal(added.length, 1, `${from} → ${to} is connected`);
    return added[0]!;
  }

  /** Selects an element by clicking it on the canvas (a flow by its own line, wherever it bends). */
  async function select(page: Page, id: string): Promise<void> {
    const element = page.locator(`#modeler .djs-element[data-element-id="${id}"]`);
    if ((await element.getAttribute('class'))!.includes('djs-connection'))
      await element.locator('.djs-hit').dispatchEvent('click');
    else {
      // First on empty canvas, so the context pad of what is selected does not cover the element
      await deselect(page);
      const at = await centre(page, id);
      await page.mouse.click(at.x, at.y);
    }
    await page.waitForSelector(`#modeler .djs-element.selected[data-element-id="${id}"]`, {
      state: 'attached',
    });
  }

  /** Clicks empty canvas, below the diagram and right of the palette: nothing is selected. */
  async function deselect(page: Page): Promise<void> {
    const canvas = (await page.locator('#modeler').boundingBox())!;
    await page.mouse.click(canvas.x + 160, canvas.y + canvas.height - 30);
  }

  /** Types into the properties panel's entry, and leaves it (so the panel commits). */
  async function entry(page: Page, id: string, value: string): Promise<void> {
    await openGroup(page, `:has([data-entry-id="${id}"])`);
    const input = page.locator(`#properties [data-entry-id="${id}"] :is(input, textarea)`).first();
    await input.fill(value);
    await input.press('Tab');
  }

  const openAttestGroup = (page: Page) => openGroup(page, '[data-group-id="group-attest"]');

  /** Opens a group of the properties panel unless it is open. */
  async function openGroup(page: Page, which: string): Promise<void> {
    const group = page.locator(`#properties .bio-properties-panel-group${which}`);
    await group.waitFor();
    if ((await group.locator('.bio-properties-panel-group-entries.open').count()) === 0)
      await group.locator('.bio-properties-panel-group-header').click();
  }

  /** Waits until autosave has stored every change and the server has checked it. */
  async function saved(page: Page): Promise<string> {
    await page.waitForFunction(() => {
      const state = (globalThis as unknown as Dom).document.querySelector('#save-status')?.dataset?.state;
      return state === 'saved' || state === 'conflict' || state === 'failed';
    });
    return page.locator('#save-status').innerText();
  }

  const dialog = builderDialog;

  let weigh = '';
  let assess = '';
  let gateway = '';
  let inLimits = '';
  let outOfLimits = '';

  it('D1: quinn designs "Balance check" by drag and drop: a form with a measured value and limits, two user tasks and an exclusive gateway; she fixes what the lint reports and submits it', async () => {
    const { page, problems, close } = await signedIn('quinn', { width: 1500, height: 950 });
    await page.click('nav a[data-route=designer]');
    await page.waitForSelector('#new-template');
    await page.fill('#new-template-id', 'balance-check');
    await page.fill('#new-template-title', 'Balance check');
    await page.fill('#new-template-numbering', 'BAL-{YYYY}-{seq:4}');
    await page.fill('#new-template-description', 'Daily check of a bench balance with a reference weight.');
    await page.click('#new-template button[type=submit]');
    await page.waitForSelector('#modeler .djs-container');

    // The form first: a measured value dragged from the GMP group, with its unit and limits.
    await page.click('button[data-tab=forms]');
    await page.fill('#new-form-key', 'weighing');
    await page.click('#add-form');
    await page.waitForSelector('#form-builder .formcomponent[data-key="measuredValue"]', { timeout: 30_000 });
    await page.fill('#form-title', 'Balance check reading');
    await dragComponent(page, 'measuredValue');
    await dialogField(page, 'label').fill('');
    await dialogField(page, 'label').pressSequentially('Reference weight reading');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Dom).document.querySelector('.formio-dialog [name="data[key]"]')?.value ===
        'referenceWeightReading',
    );
    // A short property name for the conditions, on the API tab
    await dialog(page).locator('.nav-link', { hasText: 'API' }).click();
    await dialogField(page, 'key').fill('reading');
    await dialog(page).locator('.nav-link', { hasText: 'GMP' }).click();
    await dialogField(page, 'attest.unit').fill('g');
    await dialogField(page, 'attest.decimals').fill('2');
    await dialogField(page, 'attest.limits.alert.min').fill('99.95');
    await dialogField(page, 'attest.limits.alert.max').fill('100.05');
    await dialogField(page, 'attest.limits.action.min').fill('99.9');
    await dialogField(page, 'attest.limits.action.max').fill('100.1');
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-measured-value.png` });
    await dialog(page).locator('[ref="saveButton"]').first().click();
    await page.waitForSelector('.attest-form-builder-dialog', { state: 'detached' });
    await page.waitForSelector('#form-builder .formarea .formio-component-reading');
    assert.match(await saved(page), /Saved/);
    assert.equal(
      await page.locator('#form-builder .attest-check-status').innerText(),
      'The server accepts this form: 1 input field.',
    );
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-form-builder.png`, fullPage: true });

    // The workflow: two user tasks and an exclusive gateway dragged from the palette, then joined.
    await page.click('button[data-tab=process]');
    const start = await centre(page, 'start');
    weigh = await dragFromPalette(page, 'create.user-task', { x: start.x + 170, y: start.y });
    await page.keyboard.type('Weigh the reference weight');
    gateway = await dragFromPalette(page, 'create.exclusive-gateway', { x: start.x + 340, y: start.y });
    assess = await dragFromPalette(page, 'create.user-task', { x: start.x + 500, y: start.y + 150 });
    await page.keyboard.type('Assess the balance');
    const passed = await dragFromPalette(page, 'create.end-event', { x: start.x + 500, y: start.y });
    const assessed = await dragFromPalette(page, 'create.end-event', { x: start.x + 680, y: start.y + 150 });
    await connect(page, 'start', weigh);
    await connect(page, weigh, gateway);
    inLimits = await connect(page, gateway, passed);
    outOfLimits = await connect(page, gateway, assess);
    await connect(page, assess, assessed);

    // The names and the GMP properties in the panel: the form, who does it, what the signature means.
    await select(page, gateway);
    await entry(page, 'name', 'Reading within limits?');
    await select(page, weigh);
    assert.equal(
      await page.inputValue('#properties [data-entry-id="name"] textarea'),
      'Weigh the reference weight',
    );
    await openAttestGroup(page);
    const forms = page.locator('#properties [data-entry-id="attest-formKey"] select');
    assert.deepEqual(await forms.locator('option').allTextContents(), [
      '(no form)',
      'Balance check reading — weighing v1',
    ]);
    await forms.selectOption('weighing');
    await page.click('#properties [data-entry-id="attest-candidateRoles"] label:has-text("operator")');
    await page
      .locator('#properties [data-entry-id="attest-signatureMeaning"] select')
      .selectOption('Performed');
    await select(page, assess);
    await openAttestGroup(page);
    await page.click('#properties [data-entry-id="attest-candidateRoles"] label:has-text("qa")');
    await page
      .locator('#properties [data-entry-id="attest-signatureMeaning"] select')
      .selectOption('Reviewed');

    // The lint: the flows leaving the gateway have no condition; the engine would not import it.
    await page.waitForSelector(`#modeler .djs-element.attest-problem[data-element-id="${inLimits}"]`);
    const listed = await page.locator('#model-problems').innerText();
    assert.match(listed, /condition/i, listed);
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-lint.png` });
    assert.match(await saved(page), /problems to fix/);

    // quinn gives each flow its condition, checked as she types
    await select(page, inLimits);
    await entry(page, 'name', 'within');
    await openAttestGroup(page);
    await entry(page, 'attest-condition', 'reading >= 99.9 and reading <= 100.1');
    await select(page, outOfLimits);
    await entry(page, 'name', 'outside');
    await openAttestGroup(page);
    await entry(page, 'attest-condition', 'reading < 99.9 or reading > 100.1');
    await page.waitForSelector('#modeler .djs-element.attest-problem', { state: 'detached' });
    assert.equal(await saved(page), 'Saved; passes every check');
    await select(page, passed);
    await entry(page, 'name', 'Balance fit for use');
    await select(page, assessed);
    await entry(page, 'name', 'Balance assessed');
    await select(page, weigh);
    await openAttestGroup(page);
    assert.match(await saved(page), /Saved/);
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-modeler.png` });

    // Check and submit: the whole package passes; it goes to review.
    await page.click('button[data-tab=submit]');
    await page.waitForSelector('#package-ok');
    await page.click('#submit-draft');
    await page.waitForSelector('#version-title');
    assert.equal(await page.locator('#version-title').innerText(), 'Balance check 1.0.0');
    assert.match(await page.locator('#version-status').innerText(), /In review/);
    assert.equal(await page.locator('#version-approve').count(), 0, 'the author does not approve');
    assert.deepEqual(problems, []);
    await close();
  });

  it('B5: quentin, a second QA, reviews the process drawn on the version page and approves it with his signature; quinn makes it effective', async () => {
    const { page, problems, close } = await signedIn('quentin', { width: 1500, height: 950 });
    await page.goto(`${api.url}/#/template/balance-check/1.0.0`);
    await page.waitForSelector('#diff-diagrams .attest-diagram-canvas[data-side="after"] .djs-container');
    for (const id of [weigh, gateway, assess])
      assert.equal(
        await page.locator(`#diff-diagrams .djs-element[data-element-id="${id}"]`).count(),
        1,
        `${id} is drawn`,
      );
    await page.click('#version-approve');
    await page.waitForSelector('#approve-dialog');
    assert.match(await page.locator('#approve-dialog-meaning').innerText(), /Approved/);
    await page.fill('#approve-dialog-password', quentinPassword);
    await page.click('#approve-dialog [data-action=confirm]');
    await page.waitForSelector('#version-notice.success, #version-notice:not([hidden])');
    assert.match(await page.locator('#version-status').innerText(), /Approved/);
    assert.deepEqual(problems, []);
    await close();

    const quinn = await signedIn('quinn', { width: 1500, height: 950 });
    await quinn.page.goto(`${api.url}/#/template/balance-check/1.0.0`);
    await quinn.page.click('#version-effective');
    await quinn.page.click('#effective-dialog [data-action=confirm]');
    await quinn.page.waitForSelector('#version-notice:not([hidden])');
    assert.match(await quinn.page.locator('#version-status').innerText(), /Effective/);
    assert.deepEqual(quinn.problems, []);
    await quinn.close();
  });

  it('B1: olivia starts a balance check, weighs within the limits and signs; the record completes on the path the gateway chose', async () => {
    const { page, problems, close } = await signedIn('olivia', { width: 1280, height: 800 });
    await page.click('nav a[data-route=new]');
    await page.waitForSelector('#record-title');
    await page.check('input[name=template][value="balance-check"]');
    await page.fill('#record-title', 'Balance B-07, morning check');
    await page.click('button[type=submit]');
    await page.waitForSelector('.message.success');
    const number = /BAL-\d{4}-\d{4}/.exec(await page.locator('.message.success').innerText())?.[0];
    assert.ok(number, 'the record number is shown');
    await page.click('nav a[data-route=tasks]');
    await page.locator('.task', { hasText: number }).locator('a.task-main').click();
    await page.waitForSelector('#step-form .formio-form');
    assert.equal(await page.locator('#step-name').innerText(), 'Weigh the reference weight');
    await page.fill('[name="data[reading]"]', '100.02');
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-step.png`, fullPage: true });
    await page.click('#step-complete');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('.message.success');

    await page.goto(`${api.url}/#/record/${number}`);
    await page.waitForSelector('#record-number');
    assert.match(await page.locator('dl.facts').innerText(), /Closed/);
    assert.match(await page.locator('#record-signatures').innerText(), /Performed/);
    await page.screenshot({ path: `${SCREENSHOTS}designer-e2e-record.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  it('G1: exported from its version page and imported again, the designed template is the same content, and the engine’s diff finds nothing', async () => {
    const { page, problems, close } = await signedIn('quinn', { width: 1280, height: 900 });
    await page.goto(`${api.url}/#/template/balance-check/1.0.0`);
    await page.waitForSelector('#version-export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#version-export')]);
    assert.equal(download.suggestedFilename(), 'balance-check-1.0.0.tgz');
    const archive = join(await mkdtemp(join(tmpdir(), 'attest-roundtrip-')), download.suggestedFilename());
    await download.saveAs(archive);

    // The archive against what the designer saved: the same bytes, so the same hash and no difference
    const exported = readPackageTgz(await readFile(archive));
    const quinn = await api.login('quinn');
    const designed = await api.request('GET', '/api/templates/balance-check/versions/1.0.0/files', {
      token: quinn,
    });
    assert.equal(exported.hash, designed.body.contentHash);
    const saved = readDraftFiles(designed.body.files, { id: 'balance-check', version: '1.0.0' });
    assert.equal((await diffPackages(saved.pkg, exported.pkg)).identical, true);

    // Imported again through the Templates page: the server has exactly this content already
    await page.click('nav a[data-route=templates]');
    await page.waitForSelector('#import-files');
    await page.setInputFiles('#import-files', archive);
    await page.click('#import-submit');
    await page.waitForSelector('#import-message.success');
    assert.match(
      await page.locator('#import-message').innerText(),
      /balance-check 1\.0\.0 already holds exactly this content; nothing changed/,
    );
    assert.deepEqual(problems, []);
    await close();
  });

  it('G1: the next version moves a limit and puts a second-person check on the passing path; quentin sees both diagrams side by side with the changes marked, and approves', async () => {
    const { page, problems, close } = await signedIn('quinn', { width: 1500, height: 950 });
    await page.click('nav a[data-route=designer]');
    await page.click('button[data-template="balance-check"]');
    await page.waitForSelector('#modeler .djs-container');
    assert.match(page.url(), /#\/designer\/balance-check\/1\.1\.0$/);

    // A task dropped onto the passing flow splits it: the check comes between the gateway and the end.
    // (just below the line: its name is written above it)
    const flow = await centre(page, inLimits);
    const check = await dragFromPalette(page, 'create.user-task', { x: flow.x, y: flow.y + 4 });
    await page.keyboard.type('Second-person check');
    await select(page, check);
    await openAttestGroup(page);
    await page.click('#properties [data-entry-id="attest-candidateRoles"] label:has-text("qa")');
    await page
      .locator('#properties [data-entry-id="attest-signatureMeaning"] select')
      .selectOption('Verified');
    await select(page, weigh);
    await entry(page, 'name', 'Weigh the 100 g reference weight');

    // The alert limits narrow, in the field's GMP settings
    await page.click('button[data-tab=forms]');
    const reading = page.locator('#form-builder .formarea .builder-component:has(.formio-component-reading)');
    await reading.hover();
    await reading.locator('.component-settings-button-edit').click();
    await dialog(page).locator('.nav-link', { hasText: 'GMP' }).click();
    await dialogField(page, 'attest.limits.alert.min').fill('99.97');
    await dialogField(page, 'attest.limits.alert.max').fill('100.03');
    await dialog(page).locator('[ref="saveButton"]').first().click();
    await page.waitForSelector('.attest-form-builder-dialog', { state: 'detached' });

    await page.click('button[data-tab=manifest]');
    await page.fill('#manifest-changeReason', 'A second person checks every passing reading.');
    assert.equal(await saved(page), 'Saved; passes every check');
    await page.click('button[data-tab=submit]');
    await page.waitForSelector('#package-ok');
    await page.click('#submit-draft');
    await page.waitForSelector('#version-title');
    assert.deepEqual(problems, []);
    await close();

    const review = await signedIn('quentin', { width: 1500, height: 1000 });
    await review.page.goto(`${api.url}/#/template/balance-check/1.1.0`);
    await review.page.waitForSelector(
      '#diff-diagrams .attest-diagram-canvas[data-side="before"] .djs-container',
    );
    await review.page.waitForSelector(
      '#diff-diagrams .attest-diagram-canvas[data-side="after"] .djs-container',
    );
    const marked = (side: string, change: string) =>
      review.page.$$eval(
        `#diff-diagrams .attest-diagram-canvas[data-side="${side}"] .djs-element.diff-${change}`,
        (els) => els.map((e) => e.getAttribute('data-element-id')!).sort(),
      );
    assert.ok((await marked('after', 'added')).includes(check), 'the new task is marked added');
    assert.ok((await marked('after', 'changed')).includes(weigh), 'the renamed task is marked changed');
    assert.ok((await marked('before', 'changed')).includes(weigh), 'and on the older diagram');
    assert.deepEqual(await marked('before', 'added'), [], 'nothing added shows on the older diagram');
    assert.match(await review.page.locator('#diff-process').innerText(), /Second-person check/);
    const fields = await review.page.locator('#diff-forms').innerText();
    assert.match(fields, /Reference weight reading/);
    assert.match(fields, /\/limits\/alert\/min\s+99\.95\s+99\.97/);
    await review.page.locator(`#diff-process li[data-element="${check}"]`).click();
    await review.page.waitForSelector(`#diff-diagrams .djs-element.diff-focus[data-element-id="${check}"]`);
    await review.page.locator('#version-diff').scrollIntoViewIfNeeded();
    await review.page.screenshot({ path: `${SCREENSHOTS}designer-diff.png`, fullPage: true });

    await review.page.click('#version-approve');
    await review.page.fill('#approve-dialog-password', quentinPassword);
    await review.page.click('#approve-dialog [data-action=confirm]');
    await review.page.waitForSelector('#version-notice:not([hidden])');
    assert.match(await review.page.locator('#version-status').innerText(), /Approved/);
    onlyRefusals(review.problems, []);
    await review.close();
  });
});
