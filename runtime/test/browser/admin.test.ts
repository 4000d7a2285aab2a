import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import type { TestApi } from '../http/support/api.ts';
import {
  checkTouchAndWidth,
  onlyRefusals,
  SCREENSHOTS,
  signIn,
  watchedPage,
  openBrowserSuite,
  closeBrowserSuite,
} from './support.ts';

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));
const SHIPPED = `${TEMPLATES}deviation/v1.1.0/`;
const NO_DEFAULT = fileURLToPath(
  new URL('../../../engine/test/bpmn/execution/no-default.bpmn', import.meta.url),
);

/** The shipped deviation template as version 1.2.0: a new title, a renamed step, a longer due time, a relabelled field. */
async function deviationV120(): Promise<{ name: string; mimeType: string; buffer: Buffer }[]> {
  const manifest = JSON.parse(await readFile(`${SHIPPED}manifest.json`, 'utf8'));
  manifest.version = '1.2.0';
  manifest.title = 'Deviation report';
  manifest.changeReason = 'Triage names the classification; clearer root-cause wording.';
  const process = (await readFile(`${SHIPPED}process.bpmn`, 'utf8'))
    .replace('name="QA triage"', 'name="QA triage and classification"')
    .replace(
      'attest:dueDate="duration(&quot;P2D&quot;)" attest:signatureMeaning="Reviewed"',
      'attest:dueDate="duration(&quot;P3D&quot;)" attest:signatureMeaning="Reviewed"',
    );
  const files = [
    { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(manifest)) },
    { name: 'process.bpmn', mimeType: 'application/xml', buffer: Buffer.from(process) },
    { name: 'README.md', mimeType: 'text/markdown', buffer: await readFile(`${SHIPPED}README.md`) },
  ];
  for (const form of await readdir(`${SHIPPED}forms`)) {
    let text = await readFile(`${SHIPPED}forms/${form}`, 'utf8');
    if (form === 'deviation-investigation.json')
      text = text.replace('"Root-cause method"', '"Root-cause analysis method"');
    files.push({ name: form, mimeType: 'application/json', buffer: Buffer.from(text) });
  }
  return files;
}

describe('Feature: administration in the browser — users, template lifecycle, incidents', function () {
  let api: TestApi;
  let browser: Browser;
  /** Nina's one-time password, as adrian handed it over. */
  let ninas = '';
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this));
  });
  after(() => closeBrowserSuite({ api, browser }));

  const open = async (page: Page, route: string, ready: string) => {
    await page.click(`nav a[data-route=${route}]`);
    await page.waitForSelector(ready);
  };
  const versionStatus = async (version: string) =>
    (
      await api.request('GET', `/api/templates/deviation/versions/${version}`, {
        token: await api.login('quinn'),
      })
    ).body.status;

  it('A2: each person sees the administration pages their authority allows', async () => {
    const menus = {
      adrian: ['Users', 'Roles', 'Security changes', 'Incidents', 'Plugins', 'Devices'],
      quinn: ['Templates', 'Incidents'],
      petra: ['Templates'],
      olivia: [],
    } as const;
    for (const [user, expected] of Object.entries(menus) as [keyof typeof menus, readonly string[]][]) {
      const { page, problems, close } = await watchedPage(browser);
      await signIn(page, api.url, user, demoPassword(user));
      await page.waitForSelector('#who');
      const menu = await page.locator('nav a').allInnerTexts();
      assert.deepEqual(
        menu.filter((m) =>
          ['Users', 'Roles', 'Security changes', 'Templates', 'Incidents', 'Plugins', 'Devices'].includes(m),
        ),
        [...expected],
        `${user}: ${menu.join(', ')}`,
      );
      assert.deepEqual(problems, []);
      await close();
    }
  });

  it('A1, A3, A6: adrian creates a user with a signature, sees the one-time password once, changes roles and resets a password', async () => {
    const { page, problems, close } = await watchedPage(browser, { width: 1280, height: 800 });
    await signIn(page, api.url, 'adrian', demoPassword('adrian'));
    await page.waitForSelector('#who');
    await open(page, 'users', '#users');
    assert.match(await page.locator('#users tr[data-user=olivia]').innerText(), /Operator/);
    assert.match(await page.locator('#users tr[data-user=adrian]').innerText(), /This is you/);

    // A user name the server refuses is shown at its field
    await page.click('#user-new');
    await page.fill('#user-username', 'Nina Novak');
    await page.fill('#user-printed-name', 'Nina Novak');
    await page.check('#user-roles input[value=operator]');
    await page.click('#user-create');
    await page.waitForSelector('#create-user-dialog');
    assert.match(await page.locator('#create-user-dialog-meaning').innerText(), /Approved/);
    assert.match(await page.locator('#create-user-dialog-signer').innerText(), /\(adrian\)/);
    await page.fill('#create-user-dialog-password', demoPassword('adrian'));
    await page.click('#create-user-dialog [data-action=confirm]');
    await page.waitForSelector('#user-username-error:not([hidden])');
    assert.match(await page.locator('#user-username-error').innerText(), /lower-case letters/);
    assert.equal(await page.getAttribute('#user-username', 'aria-invalid'), 'true');

    // Corrected, signed again: the one-time password is shown to hand over
    await page.fill('#user-username', 'nina');
    await page.fill('#user-email', 'nina@example.com');
    await page.click('#user-create');
    await page.fill('#create-user-dialog-password', demoPassword('adrian'));
    await page.fill('#create-user-dialog-reason', 'New starter in packaging');
    await page.click('#create-user-dialog [data-action=confirm]');
    await page.waitForSelector('#one-time-password');
    ninas = (await page.locator('#one-time-password').innerText()).trim();
    assert.ok(ninas.length >= 12, ninas);
    assert.match(await page.locator('.admin-otp h2').innerText(), /Nina Novak \(nina\)/);
    await page.waitForSelector('#users tr[data-user=nina]');
    assert.match(await page.locator('#users tr[data-user=nina]').innerText(), /One-time password/);
    await page.screenshot({ path: `${SCREENSHOTS}admin-user-created.png`, fullPage: true });
    await page.click('#hand-over-done');
    assert.equal(await page.locator('#one-time-password').count(), 0, 'shown only once');

    // Roles: granted and revoked with a signature (A3)
    await page.click('#users button[data-action=roles][data-user=nina]');
    await page.check('#roles-dialog input[value=qa]');
    await page.uncheck('#roles-dialog input[value=operator]');
    await page.fill('#roles-dialog-password', demoPassword('adrian'));
    await page.fill('#roles-dialog-reason', 'Moved to QA');
    await page.click('#roles-dialog [data-action=confirm]');
    await page.waitForSelector('#users-notice.success');
    const nina = await page.locator('#users tr[data-user=nina]').innerText();
    assert.match(nina, /QA reviewer/);
    assert.doesNotMatch(nina, /Operator/);

    // Reset: a reason, then a new one-time password
    await page.click('#users button[data-action=reset][data-user=oscar]');
    await page.click('#reset-dialog [data-action=confirm]');
    await page.waitForSelector('#reset-dialog-reason-error:not([hidden])');
    await page.fill('#reset-dialog-reason', 'Forgot the password after holiday');
    await page.click('#reset-dialog [data-action=confirm]');
    await page.waitForSelector('#one-time-password');
    const oscars = (await page.locator('#one-time-password').innerText()).trim();
    assert.match(await page.locator('.admin-otp h2').innerText(), /reset/);
    assert.match(await page.locator('#users tr[data-user=oscar]').innerText(), /One-time password/);
    await page.screenshot({ path: `${SCREENSHOTS}admin-users.png`, fullPage: true });
    await checkTouchAndWidth(page);
    onlyRefusals(problems, [400]);
    assert.equal(problems.length, 1, problems.join('\n'));
    await close();

    // The one-time passwords work, and must be changed first (A6)
    const first = await watchedPage(browser);
    await signIn(first.page, api.url, 'nina', ninas);
    await first.page.waitForSelector('#new-password');
    await first.close();
    const login = await api.request('POST', '/api/auth/login', {
      body: { username: 'oscar', password: oscars },
    });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.mustChangePassword, true);
  });

  it('A1: adrian deactivates a user with a reason; that user can then not sign in', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'adrian', demoPassword('adrian'));
    await page.waitForSelector('#who');
    await open(page, 'users', '#users');
    await page.click('#users button[data-action=deactivate][data-user=nina]');
    await page.waitForSelector('#deactivate-dialog');
    await page.fill('#deactivate-dialog-reason', 'Left the company');
    await page.click('#deactivate-dialog [data-action=confirm]');
    await page.waitForSelector('#users-notice.success');
    const row = page.locator('#users tr[data-user=nina]');
    assert.match(await row.innerText(), /Deactivated/);
    assert.equal(await row.locator('button[data-action=reactivate]').count(), 1);
    assert.deepEqual(problems, []);
    await close();

    const nina = await watchedPage(browser);
    await signIn(nina.page, api.url, 'nina', ninas);
    await nina.page.waitForSelector('[role=alert]:not([hidden])');
    assert.match(await nina.page.locator('[role=alert]').innerText(), /user name or the password is wrong/);
    assert.equal(await nina.page.locator('#who').count(), 0);
    onlyRefusals(nina.problems, [401]);
    await nina.close();
  });

  it('D1, D3: quinn imports version 1.2.0 of the deviation template from its files and submits it for review', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await open(page, 'templates', '#template-list section[data-template=deviation]');
    assert.equal(
      await page.getAttribute('section[data-template=deviation] tr[data-version="1.1.0"]', 'data-status'),
      'effective',
    );
    await page.setInputFiles('#import-files', await deviationV120());
    assert.match(await page.locator('#import-chosen').innerText(), /forms\/deviation-investigation\.json/);
    await page.click('#import-submit');
    await page.waitForSelector('#import-message.success');
    assert.match(
      await page.locator('#import-message').innerText(),
      /deviation 1\.2\.0 was imported as a draft/,
    );
    await page.waitForSelector(
      'section[data-template=deviation] tr[data-version="1.2.0"][data-status=draft]',
    );
    await page.screenshot({ path: `${SCREENSHOTS}admin-templates.png`, fullPage: true });
    await checkTouchAndWidth(page);

    await page.click('#import-open');
    await page.waitForSelector('#version-manifest');
    assert.match(await page.locator('#version-title').innerText(), /Deviation report 1\.2\.0/);
    assert.equal(await page.getAttribute('#version-status .badge', 'data-status'), 'draft');
    await page.click('#version-submit');
    await page.click('#submit-dialog [data-action=confirm]');
    await page.waitForSelector('#version-status .badge[data-status=in_review]');
    assert.match(await page.locator('#version-notice').innerText(), /submitted for review/);
    // The author may not approve their own version (B5): no approve button, a note instead
    assert.equal(await page.locator('#version-approve').count(), 0);
    assert.equal(await page.locator('#version-author').count(), 1);
    assert.equal(await versionStatus('1.2.0'), 'in_review');
    assert.deepEqual(problems, []);
    await close();
  });

  it('B1, B2, B5: petra approves with her signature; a wrong password leaves it in review with the error shown', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'petra', demoPassword('petra'));
    await page.waitForSelector('#who');
    await open(page, 'templates', 'section[data-template=deviation] tr[data-version="1.2.0"]');
    await page.click('section[data-template=deviation] tr[data-version="1.2.0"] a');
    await page.waitForSelector('#diff-result .admin-diff-summary');
    assert.match(await page.locator('#diff-result').innerText(), /From version 1\.1\.0 to version 1\.2\.0/);

    await page.click('#version-approve');
    await page.waitForSelector('#approve-dialog');
    assert.match(await page.locator('#approve-dialog-meaning').innerText(), /Approved/);
    assert.match(await page.locator('#approve-dialog-signer').innerText(), /\(petra\)/);
    await page.fill('#approve-dialog-password', 'not-her-Password-1');
    await page.click('#approve-dialog [data-action=confirm]');
    await page.waitForSelector('#approve-dialog [role=alert]:not([hidden])');
    assert.match(await page.locator('#approve-dialog [role=alert]').innerText(), /password is wrong/);
    assert.equal(await versionStatus('1.2.0'), 'in_review', 'nothing was signed');
    await page.screenshot({ path: `${SCREENSHOTS}admin-approve-refused.png` });

    await page.fill('#approve-dialog-password', demoPassword('petra'));
    await page.click('#approve-dialog [data-action=confirm]');
    await page.waitForSelector('#version-status .badge[data-status=approved]');
    assert.match(await page.locator('#version-notice').innerText(), /signed: Approved/);
    assert.equal(await versionStatus('1.2.0'), 'approved');
    const history = await page.locator('#history').innerText();
    assert.match(history, /Signed as Approved by .+ \(petra\)/);
    assert.match(await page.locator('#version-manifest').innerText(), /Approved by/);
    // Making it effective is for who manages templates, not for the approver
    assert.equal(await page.locator('#version-effective').count(), 0);
    onlyRefusals(problems, [401]);
    assert.equal(problems.length, 1, problems.join('\n'));
    await close();
  });

  it('D1, D2, G1: quinn makes 1.2.0 effective, 1.1.0 is superseded, and the diff shows what changed', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await page.goto(`${api.url}/#/template/deviation/1.2.0`);
    await page.waitForSelector('#version-effective');
    await page.click('#version-effective');
    assert.match(await page.locator('#effective-dialog').innerText(), /Version 1\.1\.0 is superseded/);
    await page.click('#effective-dialog [data-action=confirm]');
    await page.waitForSelector('#version-status .badge[data-status=effective]');
    assert.equal(await versionStatus('1.1.0'), 'superseded');
    await page.screenshot({ path: `${SCREENSHOTS}admin-template-version.png`, fullPage: true });

    // The diff against 1.1.0 (now superseded, chosen by hand)
    await page.selectOption('#diff-other', '1.1.0');
    await page.waitForSelector('#diff-result #diff-manifest');
    const diff = await page.locator('#diff-result').innerText();
    assert.match(diff, /\/title[\s\S]*Deviation[\s\S]*Deviation report/);
    assert.match(diff, /\/version[\s\S]*1\.1\.0[\s\S]*1\.2\.0/);
    assert.match(diff, /QA triage and classification \(triage/);
    assert.match(diff, /Root-cause analysis method/);
    await checkTouchAndWidth(page);
    await page.locator('#version-diff').screenshot({ path: `${SCREENSHOTS}admin-diff.png` });

    // The list shows the lifecycle
    await open(
      page,
      'templates',
      'section[data-template=deviation] tr[data-version="1.2.0"][data-status=effective]',
    );
    assert.equal(
      await page.getAttribute('section[data-template=deviation] tr[data-version="1.1.0"]', 'data-status'),
      'superseded',
    );
    assert.deepEqual(problems, []);
    await close();
  });

  it('G5: an incident is listed with its instance, element and error, and retried with a corrected variable', async () => {
    const engine = api.ctx.engine;
    const as = async (user: 'quinn' | 'olivia') =>
      engine.identity.authenticate(
        (await engine.identity.login({ username: user, password: demoPassword(user) })).sessionId,
      );
    await engine.processes.deploy(await as('quinn'), await readFile(NO_DEFAULT, 'utf8'));
    const stuck = await engine.processes.start(await as('olivia'), 'noDefault', {
      variables: { quantity: 50 },
      businessKey: 'LOT-2291',
    });
    assert.equal(stuck.status, 'incident');

    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'quinn', demoPassword('quinn'));
    await page.waitForSelector('#who');
    await open(page, 'incidents', '#incidents');
    const row = page.locator(`#incidents tr[data-incident="${stuck.incidents[0]!.id}"]`);
    const text = await row.innerText();
    assert.match(text, /noDefault/);
    assert.match(text, /LOT-2291/);
    assert.match(text, /route/);
    assert.match(text, /No outgoing flow matches/);
    await page.screenshot({ path: `${SCREENSHOTS}admin-incidents.png`, fullPage: true });
    await checkTouchAndWidth(page);

    await row.locator('button[data-action=retry]').click();
    await page.waitForSelector('#retry-dialog');
    await page.fill('#retry-variables', 'quantity = 5');
    await page.click('#retry-dialog [data-action=confirm]');
    await page.waitForSelector('#retry-variables-error:not([hidden])');
    await page.fill('#retry-variables', '{"quantity": 5}');
    await page.click('#retry-dialog [data-action=confirm]');
    // Correcting variables needs a reason
    await page.waitForSelector('#retry-reason-error:not([hidden])');
    await page.fill('#retry-reason', 'Quantity from the batch order');
    await page.click('#retry-dialog [data-action=confirm]');
    await page.waitForSelector('#incident-outcome.success');
    assert.match(await page.locator('#incident-outcome').innerText(), /goes on.*Small batch/);
    await page.waitForSelector('#incidents-empty');
    assert.deepEqual(problems, []);
    await close();
  });
});
