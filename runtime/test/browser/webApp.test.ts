import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import type { TestApi } from '../http/support/api.ts';
import {
  SCREENSHOTS,
  signIn,
  watchedPage,
  type InPage,
  openBrowserSuite,
  closeBrowserSuite,
} from './support.ts';

describe('Feature: the web app in a real browser — sign-in, role-aware menus, tasks, starting a record', function () {
  let api: TestApi;
  let browser: Browser;
  before(async function () {
    // The plant's zone differs from the browser's (Asia/Shanghai): screens show the plant's.
    ({ api, browser } = await openBrowserSuite(this, { settings: { plant: { timeZone: 'Europe/Dublin' } } }));
  });
  after(() => closeBrowserSuite({ api, browser }));

  it('serves the app under a Content-Security-Policy without unsafe-eval or inline scripts', async () => {
    const response = await fetch(`${api.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline/);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const deep = await fetch(`${api.url}/records`, { headers: { accept: 'text/html' } });
    assert.equal(deep.status, 200, 'a page inside the app loads the app');
    const api404 = await fetch(`${api.url}/api/nothing`, { headers: { accept: 'text/html' } });
    assert.equal(api404.status, 404);
  });

  const menus = {
    olivia: ['My tasks', 'New record', 'Records', 'Materials', 'Equipment'],
    quinn: [
      'My tasks',
      'New record',
      'Review queue',
      'Records',
      'Designer',
      'Materials',
      'Equipment',
      'Templates',
      'Incidents',
    ],
    petra: ['My tasks', 'Review queue', 'Records', 'Materials', 'Equipment', 'Templates'],
    adrian: [
      'Records',
      'Materials',
      'Equipment',
      'Users',
      'Roles',
      'Security changes',
      'Incidents',
      'Plugins',
      'Devices',
    ],
  } as const;
  for (const [user, menu] of Object.entries(menus) as [keyof typeof menus, readonly string[]][]) {
    it(`A2: ${user} signs in and sees the menu of what they may do, without a console error or CSP violation`, async () => {
      const { page, problems, close } = await watchedPage(browser);
      await signIn(page, api.url, user, demoPassword(user));
      await page.waitForSelector('#who');
      assert.deepEqual(await page.locator('nav a').allInnerTexts(), [...menu]);
      assert.match(await page.locator('#who').innerText(), new RegExp(`\\(${user}\\)`));
      assert.match(await page.locator('footer').innerText(), /Europe\/Dublin/);
      await page.screenshot({ path: `${SCREENSHOTS}home-${user}.png`, fullPage: true });
      assert.deepEqual(problems, []);
      await close();
    });
  }

  it('A4: a wrong password is refused with a message, and after five the account is locked, with a message that says so', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'oscar', 'not-the-Password-1');
    await page.waitForSelector('[role=alert]:not([hidden])');
    assert.match(await page.locator('[role=alert]').innerText(), /user name or the password is wrong/);
    await page.screenshot({ path: `${SCREENSHOTS}login-refused.png` });
    for (let i = 0; i < 5; i++) {
      await page.fill('#password', 'not-the-Password-1');
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/auth/login')),
        page.click('button[type=submit]'),
      ]);
    }
    await page.waitForFunction(() =>
      /locked/.test(
        (globalThis as unknown as InPage).document.querySelector('[role=alert]')?.textContent ?? '',
      ),
    );
    assert.ok(
      problems.every((p) => /401|423/.test(p)),
      problems.join('\n'),
    );
    await close();
  });

  it('A6: a one-time password must be changed before anything else', async () => {
    const adrian = await api.ctx.engine.identity.authenticate(
      (await api.ctx.engine.identity.login({ username: 'adrian', password: demoPassword('adrian') }))
        .sessionId,
    );
    const { oneTimePassword } = await api.ctx.engine.identity.createUser(
      adrian,
      { username: 'nina', printedName: 'Nina Novak', roles: ['operator'] },
      { password: demoPassword('adrian'), reason: 'New starter in packaging' },
    );
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'nina', oneTimePassword);
    await page.waitForSelector('#new-password');
    await page.screenshot({ path: `${SCREENSHOTS}password-change.png` });
    await page.fill('#new-password', 'Lavender-Field-2048');
    await page.fill('#confirm-password', 'Lavender-Field-2048');
    await page.click('button[type=submit]');
    await page.waitForSelector('#who');
    assert.match(await page.locator('#who').innerText(), /Nina Novak/);
    assert.deepEqual(problems, []);
    await close();
  });

  /** Olivia on a tablet-sized page, on New record. */
  async function newRecordAsOlivia() {
    const watched = await watchedPage(browser, { width: 1280, height: 800 });
    await signIn(watched.page, api.url, 'olivia', demoPassword('olivia'));
    await watched.page.waitForSelector('#who');
    await watched.page.click('nav a[data-route=new]');
    await watched.page.waitForSelector('#record-title');
    return watched;
  }

  it('D2: an operator reports a deviation on a tablet; its first step waits in My tasks with its number', async () => {
    const { page, problems, close } = await newRecordAsOlivia();
    await page.check('input[name=template][value=deviation]');
    await page.fill('#record-title', 'Torn liner on a lactose drum');
    await page.screenshot({ path: `${SCREENSHOTS}new-record.png` });
    await page.click('button[type=submit]');
    await page.waitForSelector('.message.success');
    const number = /DEV-\d{4}-\d{4}/.exec(await page.locator('.message.success').innerText())?.[0];
    assert.ok(number, 'the record number is shown');
    await page.click('nav a[data-route=tasks]');
    await page.waitForSelector('.task');
    const task = page.locator('.task', { hasText: number });
    assert.match(await task.innerText(), /Report the deviation/);
    // Touch targets are at least 44 px (gloves, tablets)
    for (const selector of ['nav a', 'button', 'select']) {
      for (const box of await page
        .locator(selector)
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height)))
        assert.ok(box >= 44, `${selector} is ${box}px high`);
    }
    await page.screenshot({ path: `${SCREENSHOTS}tasks-olivia.png`, fullPage: true });
    await page.click('nav a[data-route=records]');
    await page.waitForSelector('table.records');
    assert.match(await page.locator('table.records').innerText(), new RegExp(number));
    await page.screenshot({ path: `${SCREENSHOTS}records.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  it('an operator starts a batch record from the product recipe chosen among the template’s', async () => {
    const { page, problems, close } = await newRecordAsOlivia();
    await page.check('input[name=template][value=deviation]');
    assert.equal(await page.locator('#record-set').count(), 0, 'the deviation has no recipes');
    await page.check('input[name=template][value=batch-record]');
    await page.waitForSelector('#record-set');
    assert.deepEqual(await page.locator('#record-set option').allInnerTexts(), ['PCM-500']);
    await page.fill('#record-title', 'Batch B26-0001');
    await mkdir('/tmp/batchrecord-shots', { recursive: true });
    await page.screenshot({ path: '/tmp/batchrecord-shots/new-batch-record.png' });
    await page.click('button[type=submit]');
    await page.waitForSelector('.message.success');
    const number = /BR-\d{4}-\d{4}/.exec(await page.locator('.message.success').innerText())?.[0];
    assert.ok(number, 'the record number is shown');
    const record = await api.ctx.engine.records.view(
      await api.ctx.engine.identity.authenticate(
        (await api.ctx.engine.identity.login({ username: 'quinn', password: demoPassword('quinn') }))
          .sessionId,
      ),
      number,
    );
    assert.equal(record.openTasks[0]?.elementId, 'order');
    assert.deepEqual(problems, []);
    await close();
  });

  it('QA sees the recipes a batch-record version carries on its version page', async () => {
    const { page, problems, close } = await watchedPage(browser, { width: 1280, height: 800 });
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await page.goto(`${api.url}/#/template/batch-record/1.0.0`);
    await page.waitForSelector('#version-manifest');
    assert.match(await page.locator('#version-manifest').innerText(), /Parameter sets \(recipes\)\s+PCM-500/);
    await page.screenshot({ path: '/tmp/batchrecord-shots/batch-record-version.png', fullPage: true });
    assert.deepEqual(problems, []);
    await close();
  });

  it('speaks Simplified Chinese when the user switches, and keeps it', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await page.selectOption('#language', 'zh-CN');
    await page.waitForFunction(
      () => (globalThis as unknown as InPage).document.querySelector('nav a')?.textContent === '我的任务',
    );
    assert.deepEqual(await page.locator('nav a').allInnerTexts(), [
      '我的任务',
      '新建记录',
      '审核队列',
      '记录',
      '设计器',
      '物料',
      '设备',
      '模板',
      '流程事件',
    ]);
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as InPage).document.documentElement.lang),
      'zh-CN',
    );
    await page.reload();
    await page.waitForSelector('#who');
    assert.equal(await page.locator('nav a').first().innerText(), '我的任务');
    await page.screenshot({ path: `${SCREENSHOTS}tasks-zh-CN.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await close();
    // The choice is kept with the account: another browser speaks Chinese to quinn after sign-in.
    const other = await watchedPage(browser);
    await signIn(other.page, api.url, 'quinn', demoPassword('quinn'));
    await other.page.waitForSelector('#who');
    assert.equal(await other.page.locator('nav a').first().innerText(), '我的任务');
    await other.page.selectOption('#language', 'en');
    await other.page.waitForFunction(
      () => (globalThis as unknown as InPage).document.querySelector('nav a')?.textContent === 'My tasks',
    );
    assert.deepEqual(other.problems, []);
    await other.close();
  });

  it('My tasks updates itself when a step for olivia appears elsewhere (server-sent events)', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'olivia', demoPassword('olivia'));
    await page.waitForSelector('#who');
    await page.waitForSelector('#page h1');
    const before = await page.locator('.task').count();
    const quinn = await api.login('quinn');
    const started = await api.request('POST', '/api/records', {
      token: quinn,
      body: { template: 'deviation', title: 'Seen without reloading' },
    });
    assert.equal(started.status, 201, started.text);
    const row = page.locator('.task', { hasText: started.body.number });
    await row.waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.task').count(), before + 1);
    assert.match(await row.innerText(), /Report the deviation/);
    assert.match(await row.innerText(), /GMT|UTC|IST/, 'times carry their zone');
    assert.deepEqual(problems, []);
    await close();
  });
});
