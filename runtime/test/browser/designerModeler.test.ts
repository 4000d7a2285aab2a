import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { compileProblems } from '../../../designer/test/modeler/support/bpmn.ts';
import { strictCsp } from '@attest/designer/build/strictCsp';
import { diffPackages } from '../../../engine/src/templates/diff.ts';
import { readPackageDir } from '../../../engine/src/templates/package.ts';
import { securityHeaders } from '../../src/http/securityHeaders.ts';
import { launch, SCREENSHOTS, skipWithoutChromium, watchedPage } from './support.ts';

const PAGE = fileURLToPath(new URL('../../../designer/test/modeler/browser/', import.meta.url));
const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));

/** The page's handle on the modeler (this program has no DOM types). */
interface InPage {
  modeler: {
    importXml(xml: string): Promise<{ warnings: string[] }>;
    exportXml(): Promise<string>;
    destroy(): void;
  };
  /** How often the modeler said it changed. */
  changes: number;
  document: { querySelector(selector: string): { childElementCount: number } | null };
}

/**
 * The workflow modeler on a page of its own, built as the web app is and served under the web
 * app's Content-Security-Policy, with the engine's compile check behind POST /check.
 */
describe('Feature: the workflow modeler in a real browser', function () {
  this.timeout(180_000);
  let out: string;
  let server: Server;
  let browser: Browser;
  let url: string;

  before(async function () {
    skipWithoutChromium(this);
    out = await mkdtemp(join(tmpdir(), 'attest-modeler-'));
    await build({
      configFile: false,
      root: PAGE,
      plugins: [strictCsp()],
      logLevel: 'warn',
      build: {
        outDir: out,
        emptyOutDir: true,
        modulePreload: { polyfill: false },
        target: 'es2022',
        assetsInlineLimit: 0,
        // bpmn-js with the properties panel is ~1.7 MB before gzip (~470 kB after), one chunk here.
        chunkSizeWarningLimit: 2000,
      },
    });
    const app = express();
    app.use(securityHeaders);
    app.post('/check', express.text({ type: '*/*', limit: '2mb' }), async (req, res) => {
      res.json(await compileProblems(req.body as string));
    });
    app.use(express.static(out));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  /** Runs a scenario on a fresh page with the modeler, then checks that nothing else went wrong there. */
  async function onPage(scenario: (page: Page) => Promise<void>): Promise<void> {
    const { page, problems, close } = await watchedPage(browser, { width: 1400, height: 900 });
    try {
      await page.goto(url);
      await page.waitForSelector('body[data-ready=true]');
      await scenario(page);
      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  }

  const importXml = (page: Page, xml: string) =>
    page.evaluate((text) => (globalThis as unknown as InPage).modeler.importXml(text), xml);
  const exportXml = (page: Page) =>
    page.evaluate(() => (globalThis as unknown as InPage).modeler.exportXml());

  for (const template of ['deviation', 'capa']) {
    it(`G1: the shipped ${template} process opens, is drawn, and saves again without a change the engine sees`, () =>
      onPage(async (page) => {
        const shipped = await readPackageDir(join(TEMPLATES, template, 'v1.0.0'));
        const { warnings, xml } = await page.evaluate(async (source) => {
          const w = globalThis as unknown as InPage;
          const imported = await w.modeler.importXml(source);
          return { warnings: imported.warnings, xml: await w.modeler.exportXml() };
        }, shipped.pkg.process);
        assert.deepEqual(warnings, []);
        assert.ok((await page.locator('.djs-element.djs-shape').count()) > 10, 'the diagram is drawn');
        await page.screenshot({ path: `${SCREENSHOTS}designer-modeler-${template}.png` });
        const diff = await diffPackages(shipped.pkg, { ...shipped.pkg, process: xml });
        assert.equal(diff.identical, true, JSON.stringify(diff.process));
      }));
  }

  it('Scenario: the palette offers only what the engine executes, and nothing breaks the CSP', () =>
    onPage(async (page) => {
      const actions = await page.$$eval('.djs-palette .entry', (entries) =>
        entries.map((e) => e.getAttribute('data-action')),
      );
      assert.ok(
        actions.includes('create.user-task') && actions.includes('create.exclusive-gateway'),
        String(actions),
      );
      for (const hidden of [
        'create.data-object',
        'create.data-store',
        'create.participant-expanded',
        'create.group',
      ]) {
        assert.ok(!actions.includes(hidden), hidden);
      }
    }));

  it('Scenario: a pasted diagram with unsupported elements shows each one highlighted with the reason', () =>
    onPage(async (page) => {
      await importXml(page, await readFile(join(PAGE, 'pasted.bpmn'), 'utf8'));
      await page.waitForSelector('.attest-problems h2:has-text("Problems")');
      const marked = await page.$$eval('.djs-element.attest-problem', (elements) =>
        elements.map((e) => e.getAttribute('data-element-id')).sort(),
      );
      // Refused locally at once (the loop, the complex gateway), and by the server's check a flow
      // that leaves the exclusive gateway without a condition.
      assert.deepEqual(marked, ['clean', 'two-of-three', 'yes']);
      const overlays = await page.$$eval('.attest-lint-overlay', (boxes) =>
        boxes.map((b) => b.getAttribute('title')),
      );
      assert.ok(
        overlays.some((t) => /loops are not supported/.test(t ?? '')),
        String(overlays),
      );
      assert.ok(
        overlays.some((t) => /complex gateways are not supported/.test(t ?? '')),
        String(overlays),
      );
      await page.screenshot({ path: join(SCREENSHOTS, 'designer-modeler-lint.png') });
    }));

  it('Scenario: a user task dropped from the palette gets its form, roles and signature in the Attest group', () =>
    onPage(async (page) => {
      await page.click('.djs-palette [data-action="create.user-task"]');
      await page.mouse.move(500, 300);
      await page.mouse.move(520, 310);
      await page.mouse.down();
      await page.mouse.up();
      await page.waitForSelector('.bio-properties-panel-group[data-group-id="group-attest"]');
      await page.click(
        '.bio-properties-panel-group[data-group-id="group-attest"] .bio-properties-panel-group-header',
      );
      const form = page.locator('[data-entry-id="attest-formKey"] select');
      assert.deepEqual(await form.locator('option').allTextContents(), [
        '(no form)',
        'Weigh the API — weighing v2',
        'Line clearance — line-clearance v1',
      ]);
      await form.selectOption('weighing');
      await page.click('[data-entry-id="attest-candidateRoles"] label:has-text("operator")');
      await page.locator('[data-entry-id="attest-signatureMeaning"] select').selectOption('Performed');
      await page.click('[data-entry-id="attest-separateFrom"] label:has-text("Whoever started the record")');
      await page.fill('[data-entry-id="attest-dueDate"] input', 'duration("P2D")');
      await page.waitForTimeout(700);
      const xml = await exportXml(page);
      assert.match(xml, /<bpmn:userTask [^>]*attest:formKey="weighing"/);
      assert.match(xml, /attest:candidateRoles="operator"/);
      assert.match(xml, /attest:signatureMeaning="Performed"/);
      assert.match(xml, /attest:separateFrom="initiator"/);
      // The drop and each edit, each once.
      assert.equal(await page.evaluate(() => (globalThis as unknown as InPage).changes), 6);
      assert.match(xml, /attest:dueDate="duration\(&#34;P2D&#34;\)"/);
      await page.screenshot({ path: join(SCREENSHOTS, 'designer-modeler.png') });
    }));

  it('Scenario: a gateway condition is checked as it is typed', () =>
    onPage(async (page) => {
      await importXml(page, await readFile(join(PAGE, 'pasted.bpmn'), 'utf8'));
      const box = (await page.locator('.djs-connection[data-element-id="yes"]').boundingBox())!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.click(
        '.bio-properties-panel-group[data-group-id="group-attest"] .bio-properties-panel-group-header',
      );
      const condition = page.locator('[data-entry-id="attest-condition"]');
      await condition.locator('input').fill('cleanliness =');
      await page.waitForSelector('[data-entry-id="attest-condition"] .bio-properties-panel-error');
      assert.equal(
        await condition.locator('.bio-properties-panel-error').textContent(),
        'Not valid FEEL: the expression ends too early',
      );
      await page.screenshot({ path: join(SCREENSHOTS, 'designer-modeler-condition.png') });
      await condition.locator('input').fill('cleanliness = "clean"');
      await page.waitForSelector('[data-entry-id="attest-condition"] .bio-properties-panel-error', {
        state: 'detached',
      });
      assert.match(await exportXml(page), /cleanliness = "clean"/);
    }));

  it('Scenario: destroying the modeler leaves the page as it was', () =>
    onPage(async (page) => {
      const left = await page.evaluate(() => {
        const { modeler, document } = globalThis as unknown as InPage;
        modeler.destroy();
        return ['#canvas', '#properties', '#problems'].map(
          (s) => document.querySelector(s)!.childElementCount,
        );
      });
      assert.deepEqual(left, [0, 0, 0]);
    }));

  it('Scenario: the replace menu of a task offers no loop and no ad-hoc sub-process', () =>
    onPage(async (page) => {
      await importXml(page, await readFile(join(PAGE, 'pasted.bpmn'), 'utf8'));
      await page.click('.djs-element[data-element-id="clean"]');
      await page.click('.djs-context-pad [data-action="replace"]');
      await page.waitForSelector('.djs-popup');
      const ids = await page.$$eval('.djs-popup [data-id]', (entries) =>
        entries.map((e) => e.getAttribute('data-id')),
      );
      assert.ok(ids.includes('replace-with-service-task') && ids.includes('toggle-parallel-mi'), String(ids));
      assert.ok(!ids.includes('toggle-loop') && !ids.some((id) => /ad-hoc/.test(id ?? '')), String(ids));
    }));
});
