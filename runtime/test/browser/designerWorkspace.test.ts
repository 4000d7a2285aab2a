import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createColleague, demoPassword } from '../../../engine/test/support/testEngine.ts';
import type { TestApi } from '../http/support/api.ts';
import {
  onlyRefusals,
  SCREENSHOTS,
  signIn,
  watchedPage,
  openBrowserSuite,
  closeBrowserSuite,
} from './support.ts';

const draftPath = (id: string, version: string, action = '') =>
  `/api/templates/${id}/versions/${version}${action}`;

describe('Feature: the designer’s template workspace in a real browser', function () {
  this.timeout(180_000);
  let api: TestApi;
  let browser: Browser;
  let quentin: string;
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this, { templates: false }));
    const colleague = await createColleague(api.ctx, 'quentin', ['qa']);
    quentin = await api.login('quentin', colleague.password);
  });
  after(() => closeBrowserSuite({ api, browser }));

  async function designer(page: Page) {
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await page.click('nav a[data-route=designer]');
    await page.waitForSelector('#new-template');
  }

  it('D1: quinn creates a template; its draft opens in the modeler with the properties panel, saved and checked', async () => {
    const { page, problems, close } = await watchedPage(browser, { width: 1400, height: 900 });
    await designer(page);
    await page.fill('#new-template-id', 'line-clearance');
    await page.fill('#new-template-title', 'Line clearance');
    assert.equal(await page.inputValue('#new-template-numbering'), 'LIN-{YYYY}-{seq:4}');
    await page.click('#new-template button[type=submit]');
    await page.waitForSelector('#modeler .djs-container');
    await page.waitForSelector('#properties .bio-properties-panel');
    assert.match(await page.locator('#save-status').innerText(), /Saved; passes every check/);
    // The palette offers what the engine executes: a user task, no complex gateway.
    assert.equal(await page.locator('.djs-palette [data-action="create.user-task"]').count(), 1);
    assert.equal(await page.locator('.djs-palette [data-action="create.complex-gateway"]').count(), 0);
    await page.screenshot({ path: `${SCREENSHOTS}designer-workspace.png` });

    // A form added on the Forms tab is saved with the draft; an empty form is a problem to fix.
    await page.click('button[data-tab=forms]');
    await page.fill('#new-form-key', 'clearance');
    await page.click('#add-form');
    await page.waitForSelector('#form-builder .formio-builder, #form-builder .builder-components', {
      timeout: 30_000,
    });
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }
        ).document.querySelector('#save-status')?.textContent ===
        'Saved; 1 problem to fix before it can be submitted',
    );
    await page.screenshot({ path: `${SCREENSHOTS}designer-workspace-forms.png` });
    await page.click('button[data-tab=submit]');
    await page.waitForSelector('#package-problems');
    assert.match(
      await page.locator('#package-problems').innerText(),
      /forms\/clearance.*at least one input field/s,
    );
    assert.equal(
      await page.locator('#submit-draft').isDisabled(),
      true,
      'nothing that fails a check is submitted',
    );
    const saved = await api.request('GET', draftPath('line-clearance', '1.0.0', '/files'), {
      token: quentin,
    });
    assert.ok(saved.body.files['forms/clearance.json'], 'the form is in the saved draft');
    assert.deepEqual(problems, []);
    await close();
  });

  it('D1: when quentin saves the draft meanwhile, quinn’s next change is refused, nothing is overwritten, and she reloads his version', async () => {
    const { page, problems, close } = await watchedPage(browser, { width: 1400, height: 900 });
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await page.goto(`${api.url}/#/designer/line-clearance/1.0.0`);
    await page.waitForSelector('#modeler .djs-container');
    await page.click('button[data-tab=manifest]');

    const theirs = await api.request('GET', draftPath('line-clearance', '1.0.0', '/files'), {
      token: quentin,
    });
    const manifest = JSON.parse(theirs.body.files['manifest.json']);
    const changed = await api.request('PUT', draftPath('line-clearance', '1.0.0', '/draft'), {
      token: quentin,
      body: {
        files: {
          ...theirs.body.files,
          'manifest.json': `${JSON.stringify({ ...manifest, title: 'Line clearance (Quentin)' }, null, 2)}\n`,
        },
        baseHash: theirs.body.contentHash,
      },
    });
    assert.equal(changed.status, 200, changed.text);

    await page.fill('#manifest-title', 'Line clearance (Quinn)');
    await page.waitForSelector('#save-conflict:not([hidden])');
    assert.match(await page.locator('#save-conflict').innerText(), /changed by Test quentin/);
    await page.screenshot({ path: `${SCREENSHOTS}designer-conflict.png` });
    const kept = await api.request('GET', draftPath('line-clearance', '1.0.0', '/files'), { token: quentin });
    assert.equal(JSON.parse(kept.body.files['manifest.json']).title, 'Line clearance (Quentin)');

    await page.click('#reload-draft');
    await page.waitForSelector('#modeler .djs-container');
    await page.click('button[data-tab=manifest]');
    assert.equal(await page.inputValue('#manifest-title'), 'Line clearance (Quentin)');
    onlyRefusals(problems, [409]);
    await close();
  });
});
