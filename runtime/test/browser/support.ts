import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Engine } from '@attest/engine';
import { demoPassword, startTestEngine, type TestContext } from '../../../engine/test/support/testEngine.ts';
import type { DeviceHub } from '../../src/devices/hub.ts';
import { seedDemoTemplates } from '../../src/demoTemplates.ts';
import { startTestApi, type DemoUser, type TestApi } from '../http/support/api.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** The parts of the page's DOM the callbacks that run in the browser touch (this program has no DOM types). */
export interface InPage {
  document: {
    documentElement: { lang: string };
    querySelector(selector: string): { textContent: string | null } | null;
    addEventListener(
      type: string,
      listener: (event: { violatedDirective: string; blockedURI: string }) => void,
    ): void;
  };
}
export const SCREENSHOTS = fileURLToPath(new URL('../../../.test-output/screenshots/', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));
const VITE = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js');

/** Browser tests need Debian's Chromium (`apt-get install -y chromium`; CI installs it). */
export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** Skips the suite, with a note that says why, where Debian's Chromium is not installed. */
export function skipWithoutChromium(suite: Mocha.Context): void {
  if (hasChromium()) return;
  console.log('    (skipped: Debian Chromium is not installed; apt-get install -y chromium)');
  suite.skip();
}

let built: Promise<unknown> | undefined;
/**
 * Builds the web app once per test run, as `npm run build` does: Vite's command in a process of
 * its own. (Vite's `build()` called inside the test runner leaves out the loader of a lazy chunk's
 * stylesheet, so the designer would be tested without its styles.)
 */
export function buildWebApp(): Promise<unknown> {
  built ??= new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [VITE, 'build', '--config', CONFIG, '--logLevel', 'warn'],
      { cwd: fileURLToPath(new URL('../../', import.meta.url)), maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`the web app did not build: ${stderr || error.message}`)) : resolve(),
    );
  });
  return built;
}

export async function launch(): Promise<Browser> {
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A page that records what must never happen: console errors, uncaught exceptions and violations
 * of the Content-Security-Policy.
 */
export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() => {
    (globalThis as unknown as InPage).document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems, close: () => context.close() };
}

export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
}

/** What a refused request leaves in the console: the browser's own line about the status, nothing else. */
export const onlyRefusals = (problems: string[], statuses: number[]) =>
  assert.ok(
    problems.every((p) => new RegExp(`status of (${statuses.join('|')})`).test(p)),
    problems.join('\n'),
  );

/**
 * Touch targets are at least 44 px (gloves, tablets), and nothing runs off the side (a diagram is
 * drawn larger than its pane, which clips it).
 */
export async function checkTouchAndWidth(page: Page): Promise<void> {
  for (const selector of ['nav a', '#page button', '#page select', '#page a.admin-link']) {
    for (const height of await page
      .locator(selector)
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height).filter((h) => h > 0)))
      assert.ok(height >= 44, `${selector} is ${height}px high`);
  }
  const wide = await page
    .locator('#page *')
    .evaluateAll((els) =>
      els
        .filter(
          (e) =>
            !e.closest('.attest-diagram-canvas') &&
            e.getBoundingClientRect().right > e.ownerDocument.documentElement.clientWidth + 1,
        )
        .map((e) => `${e.tagName}#${e.id}.${e.className}: ${e.getBoundingClientRect().right}`),
    );
  assert.deepEqual(wide, [], 'nothing runs off the side of the screen');
}

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));

export interface BrowserSuite {
  api: TestApi;
  browser: Browser;
}

/**
 * What every browser suite starts with: Chromium present (else the suite is skipped), the web app
 * built, a runtime on a database of its own (the shipped templates effective unless `templates` is
 * false) and a browser. `closeBrowserSuite` in the suite's `after` ends both.
 */
export async function openBrowserSuite(
  suite: Mocha.Context,
  options: {
    settings?: NonNullable<Parameters<typeof startTestApi>[0]>['settings'];
    templates?: boolean;
    /** The engine to serve (default: a fresh one). */
    ctx?: TestContext;
    /** The server's connections to devices, or a maker of them for its engine (default: none loaded). */
    devices?: DeviceHub | ((engine: Engine) => DeviceHub);
  } = {},
): Promise<BrowserSuite> {
  skipWithoutChromium(suite);
  await buildWebApp();
  const api =
    typeof options.devices === 'function'
      ? await startWithDevices(options.settings, options.devices)
      : await startTestApi({
          ...(options.settings && { settings: options.settings }),
          ...(options.ctx && { ctx: options.ctx }),
          ...(options.devices && { devices: options.devices }),
        });
  if (options.templates !== false)
    await seedDemoTemplates(api.ctx.engine, TEMPLATES, { log: () => undefined });
  return { api, browser: await launch() };
}

/** A runtime with connections to devices: the hub is made for the engine, and ends with the runtime. */
async function startWithDevices(
  settings: NonNullable<Parameters<typeof startTestApi>[0]>['settings'],
  devices: (engine: Engine) => DeviceHub,
): Promise<TestApi> {
  const ctx = await startTestEngine(settings);
  const hub = devices(ctx.engine);
  const api = await startTestApi({ ctx, devices: hub });
  const close = api.close;
  api.close = async () => {
    await hub.close();
    await close();
    await ctx.close();
  };
  return api;
}

export async function closeBrowserSuite(suite: Partial<BrowserSuite>): Promise<void> {
  await suite.browser?.close();
  await suite.api?.close();
}

/**
 * A watched page signed in through the sign-in screen, the app drawn (`#who` shows the person): a
 * demo user with their demo password, or anyone with the password given.
 */
export async function signedInPage(
  { api, browser }: BrowserSuite,
  username: DemoUser | string,
  options: { password?: string; viewport?: { width: number; height: number } } = {},
) {
  const watched = await watchedPage(browser, options.viewport);
  await signIn(watched.page, api.url, username, options.password ?? demoPassword(username as DemoUser));
  await watched.page.waitForSelector('#who');
  return watched;
}

/** The value typed by hand saved, then verified on the same screen by a second person with their own id and password. */
export async function verifiedBySecondPerson(page: Page, who: DemoUser): Promise<void> {
  await page.click('#step-save');
  await page.waitForSelector('#step-verification');
  await page.click('#step-verify');
  await page.waitForSelector('#verify-dialog[open]');
  await page.fill('#verify-username', who);
  await page.fill('#verify-password', demoPassword(who));
  await page.click('#verify-dialog [data-action=confirm]');
  await page.waitForSelector('#verify-dialog', { state: 'detached' });
  await page.waitForSelector('#step-verification', { state: 'detached' });
}
