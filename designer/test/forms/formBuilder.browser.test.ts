import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import {
  launch,
  SCREENSHOTS,
  watchedPage,
  skipWithoutChromium,
} from '../../../runtime/test/browser/support.ts';
import { KEY_PATTERN } from '../../src/forms/componentKey.ts';
import { PALETTE_TYPES } from '../../src/forms/palette.ts';
import type { FormDefinition } from '../../src/forms/types.ts';
import { FORMS, servePage, type TestPage } from './browser/server.ts';
import { builderDialog, dialogField, dragComponent } from './builderPage.ts';

/** What the page exposes to the test (test/forms/browser/main.ts). */
interface OnPage {
  attest: {
    ready: boolean;
    builder: {
      getDefinition(): FormDefinition;
      setDefinition(definition: object): Promise<void>;
      destroy(): void;
    };
    changes: FormDefinition[];
    checks: FormDefinition[];
  };
}
const onPage = (page: Page) => ({
  definition: () => page.evaluate(() => (globalThis as unknown as OnPage).attest.builder.getDefinition()),
  changes: () => page.evaluate(() => (globalThis as unknown as OnPage).attest.changes.length),
});

const REPO = new URL('../../../', import.meta.url);

describe('Feature: QA builds a form in the browser, under the app’s Content-Security-Policy', function () {
  let server: TestPage;
  let browser: Browser;
  before(async function () {
    skipWithoutChromium(this);
    server = await servePage();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The builder on a page that records console errors, CSP violations and requests to other origins. */
  async function open(query: string) {
    const watched = await watchedPage(browser, { width: 1400, height: 1000 });
    const elsewhere: string[] = [];
    watched.page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url());
    });
    await watched.page.goto(`${server.url}?${query}`);
    await watched.page.waitForFunction(() => (globalThis as unknown as OnPage).attest?.ready === true);
    await watched.page.waitForSelector('.attest-check-status.message');
    return { ...watched, elsewhere };
  }

  const drag = dragComponent;
  const dialog = builderDialog;
  const field = dialogField;
  /** Types a new component's label, as QA does, and waits for formio.js to derive its key. */
  async function name(page: Page, label: string, key: RegExp) {
    await field(page, 'label').fill('');
    await field(page, 'label').pressSequentially(label);
    await page.waitForFunction(
      ([pattern]) =>
        new RegExp(pattern!).test(
          (document.querySelector('.formio-dialog [name="data[key]"]') as HTMLInputElement | null)?.value ??
            '',
        ),
      [key.source],
    );
  }
  async function save(page: Page) {
    await dialog(page).locator('[ref="saveButton"]').first().click();
    await page.waitForSelector('.attest-form-builder-dialog', { state: 'detached' });
  }
  async function checked(page: Page, before: number) {
    await page.waitForFunction((n) => (globalThis as unknown as OnPage).attest.checks.length > n, before);
    await page.waitForSelector('.attest-check-status.message');
  }
  const checksSoFar = (page: Page) =>
    page.evaluate(() => (globalThis as unknown as OnPage).attest.checks.length);

  it('opens without eval, inline styles or anything from a CDN; the palette offers GMP first and only what the engine accepts', async () => {
    const { page, problems, elsewhere, close } = await open('form=dispensing');
    try {
      // The groups: GMP open first, then formio.js's groups
      const groups = await page.locator('.builder-group-button').allTextContents();
      assert.deepEqual(
        groups.map((g) => g.trim()),
        ['GMP', 'Basic', 'Advanced', 'Layout', 'Data'],
      );
      const gmp = await page.locator('#group-gmp .formcomponent').allTextContents();
      assert.deepEqual(
        gmp.map((g) => g.trim()),
        [
          'Measured value',
          'Device reading',
          'Verified value',
          'Calculated value',
          'Material lot',
          'Equipment ID',
          'Instruction',
        ],
      );
      // Every other entry is a type the palette offers
      const offered = await page
        .locator('.formcomponent:not([data-group="gmp"])')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-type')!));
      assert.ok(offered.length >= PALETTE_TYPES.size - 1, offered.join());
      for (const type of offered) assert.ok(PALETTE_TYPES.has(type), `the palette offers ${type}`);
      for (const refused of ['password', 'file', 'button', 'signature', 'address', 'htmlelement', 'table'])
        assert.ok(!offered.includes(refused), refused);
      // The form is drawn with its units; the server accepts it
      assert.equal(await page.locator('.formarea .formio-component-weight [ref="suffix"]').innerText(), 'g');
      assert.match(
        await page.locator('.attest-check-status').innerText(),
        /accepts this form: 10 input fields/,
      );
      // Styles of formio.js's templates went through the CSSOM, none waits as an attribute
      assert.equal(await page.locator('[data-attest-style]').count(), 0);
      await page.screenshot({ path: `${SCREENSHOTS}designer-form-builder.png`, fullPage: true });
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    } finally {
      await close();
    }
  });

  it('QA drags a measured value, sets its unit and limits in the GMP tab; the definition holds the attest block and the server accepts it', async () => {
    const { page, problems, elsewhere, close } = await open('form=granulation');
    try {
      const start = await checksSoFar(page);
      await drag(page, 'measuredValue');
      // The dialog has no JavaScript-based tab or option
      const tabs = (await dialog(page).locator('.nav-link').allTextContents()).map((t) => t.trim());
      assert.deepEqual(tabs, ['Display', 'GMP', 'Data', 'Validation', 'API', 'Conditional']);
      const text = await dialog(page).innerText();
      for (const hidden of [
        'Custom Validation',
        'Calculated Value',
        'Custom Default Value',
        'Advanced Conditions',
        'JSONLogic',
        'Logic',
      ])
        assert.ok(!text.includes(hidden), hidden);
      assert.equal(
        await dialog(page).locator('[name="data[hidden]"], [name="data[clearOnHide]"]').count(),
        0,
      );
      // QA names it and gives its GMP settings
      await name(page, 'Net weight', /^netWeight$/);
      await dialog(page).locator('.nav-link', { hasText: 'GMP' }).click();
      await field(page, 'attest.unit').fill('g');
      await field(page, 'attest.decimals').fill('1');
      await field(page, 'attest.limits.alert.min').fill('99');
      await field(page, 'attest.limits.alert.max').fill('101');
      await field(page, 'attest.limits.action.min').fill('98');
      await field(page, 'attest.limits.action.max').fill('102');
      await dialog(page).locator('[name="data[attest.critical]"]').check();
      await page.screenshot({ path: `${SCREENSHOTS}designer-form-builder-dialog.png` });
      await save(page);
      await checked(page, start);
      // The definition: the new component with exactly the attest block the compiler reads
      const definition = await onPage(page).definition();
      const added = definition.components[2]!;
      assert.equal(added.type, 'measuredValue');
      assert.equal(added.key, 'netWeight');
      assert.equal(added.label, 'Net weight');
      assert.deepEqual(added.validate, { required: true });
      assert.deepEqual(added.attest, {
        unit: 'g',
        decimals: 1,
        limits: { alert: { min: 99, max: 101 }, action: { min: 98, max: 102 } },
        critical: true,
      });
      assert.ok(!('minWords' in (added.validate ?? {})) && !('id' in added));
      // The components QA did not touch are as they were
      const original = JSON.parse(
        await readFile(new URL(FORMS.granulation!, REPO), 'utf8'),
      ) as FormDefinition;
      assert.deepEqual(definition.components.slice(0, 2), original.components);
      assert.ok((await onPage(page).changes()) >= 1);
      assert.match(
        await page.locator('.attest-check-status').innerText(),
        /accepts this form: 3 input fields/,
      );
      assert.equal(
        await page.locator('.formarea .formio-component-netWeight [ref="suffix"]').innerText(),
        'g',
      );
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    } finally {
      await close();
    }
  });

  it('a calculated value with broken FEEL: the server’s problem is listed by the field’s label, and shows the field', async () => {
    const { page, problems, close } = await open('form=granulation');
    try {
      const start = await checksSoFar(page);
      await drag(page, 'calculatedValue');
      await name(page, 'Mean temperature', /^meanTemperature$/);
      await dialog(page).locator('.nav-link', { hasText: 'GMP' }).click();
      await field(page, 'attest.calculate').fill('(inletTemperature + ');
      await save(page);
      await checked(page, start);
      const status = await page.locator('.attest-check-status').innerText();
      assert.match(status, /refuses this form: 1 problems/);
      const item = page.locator('.attest-check-problems li');
      assert.equal(await item.locator('button').innerText(), 'Mean temperature');
      assert.match(await item.innerText(), /not valid FEEL/);
      const component = page.locator('.formarea .builder-component:has(.formio-component-meanTemperature)');
      assert.equal(await page.locator('.formarea .attest-has-problem').count(), 1);
      await item.locator('button').click();
      await page.waitForSelector('.formarea .attest-problem-focus');
      assert.equal(await component.count(), 1);
      await page.screenshot({ path: `${SCREENSHOTS}designer-form-builder-problem.png` });
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  it('the shipped forms open, preview and come back unchanged, each accepted by the server', async () => {
    for (const [name, file] of Object.entries(FORMS)) {
      const { page, problems, elsewhere, close } = await open(`form=${name}&preview=1`);
      try {
        const original = JSON.parse(await readFile(new URL(file, REPO), 'utf8')) as FormDefinition;
        assert.equal(JSON.stringify(await onPage(page).definition()), JSON.stringify(original), name);
        assert.match(await page.locator('.attest-check-status').innerText(), /accepts this form/, name);
        await page.locator('.attest-preview-form .formio-form').waitFor();
        assert.equal(await onPage(page).changes(), 0, name);
        // The engine's hostile fixture: the canvas shows QA's HTML as written, and formio.js's
        // sanitizer parsing its onclick is reported by the CSP (blocked, never run).
        const expected = name === 'deviationReport' ? /script-src-attr/ : /^$/;
        for (const problem of problems) assert.match(problem, expected, name);
        assert.deepEqual(elsewhere, [], name);
      } finally {
        await close();
      }
    }
  });

  it('the preview: a value outside the action limits raises the server’s exception, an empty required field its error', async () => {
    const { page, problems, elsewhere, close } = await open('form=granulation&preview=1');
    try {
      const preview = page.locator('.attest-form-preview');
      await preview.locator('[name="data[inletTemperature]"]').fill('70');
      await preview.getByRole('button', { name: 'Validate on the server' }).click();
      await preview.locator('.attest-verdicts').first().waitFor();
      // The error sits at the empty field, the exception with its severity
      const lossOnDrying = preview.locator('.formio-component-lossOnDrying');
      assert.match(await lossOnDrying.locator('.attest-field-error').innerText(), /required/i);
      const exceptions = preview.locator('.attest-verdict.attest-severity-high');
      assert.equal(await exceptions.count(), 1);
      assert.match(await exceptions.innerText(), /High.*Inlet air temperature/s);
      assert.equal(
        await preview.locator('.formio-component-inletTemperature .attest-field-exception').count(),
        1,
      );
      // The operator's notes: units and limits under the fields
      assert.match(
        await preview.locator('.formio-component-inletTemperature').innerText(),
        /Action limits 55\.0–65\.0 °C/,
      );
      await page.screenshot({ path: `${SCREENSHOTS}designer-form-preview.png`, fullPage: true });
      // In the limits and answered N/A with a reason: accepted
      await preview.locator('[name="data[inletTemperature]"]').fill('60');
      await preview.locator('[name="data[attestNa__lossOnDrying]"]').check();
      await preview
        .locator('[name="data[attestNaReason__lossOnDrying]"]')
        .fill('No sample drawn: batch rejected');
      await preview.getByRole('button', { name: 'Validate on the server' }).click();
      await preview.locator('.attest-preview-result .message').first().waitFor();
      assert.match(await preview.locator('.attest-preview-result').innerText(), /accepts these values/);
      assert.deepEqual(problems, []);
      assert.deepEqual(elsewhere, []);
    } finally {
      await close();
    }
  });

  it('in Chinese: the palette and dialog speak Chinese, and a Chinese label gives an ASCII key', async () => {
    const { page, problems, close } = await open('language=zh-CN');
    try {
      assert.equal((await page.locator('.builder-group-button').first().innerText()).trim(), 'GMP');
      assert.equal((await page.locator('#group-gmp .formcomponent').first().innerText()).trim(), '测量值');
      const start = await checksSoFar(page);
      await drag(page, 'materialLot');
      assert.ok((await dialog(page).locator('.nav-link').allTextContents()).some((t) => t.trim() === '显示'));
      await name(page, '批号', /^materialLot\d*$/);
      await save(page);
      await checked(page, start);
      const [lot] = (await onPage(page).definition()).components;
      assert.equal(lot!.label, '批号');
      assert.match(lot!.key!, new RegExp(KEY_PATTERN));
      assert.match(await page.locator('.attest-check-status').innerText(), /服务器接受此表单/);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });

  it('opens another definition without a change event, and leaves nothing behind when destroyed', async () => {
    const { page, problems, close } = await open('form=granulation');
    try {
      const dispensing = JSON.parse(
        await readFile(new URL(FORMS.dispensing!, REPO), 'utf8'),
      ) as FormDefinition;
      await page.evaluate(async (definition) => {
        await (globalThis as unknown as OnPage).attest.builder.setDefinition(definition);
      }, dispensing);
      assert.equal(JSON.stringify(await onPage(page).definition()), JSON.stringify(dispensing));
      assert.equal(await page.locator('.formarea .formio-component-weight').count(), 1);
      assert.equal(await onPage(page).changes(), 0);
      await page.evaluate(() => (globalThis as unknown as OnPage).attest.builder.destroy());
      assert.equal(await page.locator('.attest-form-builder, .formio-dialog').count(), 0);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
});
