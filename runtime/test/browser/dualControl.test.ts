import assert from 'node:assert/strict';
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

/**
 * Given a server under dual control with two administrators, adrian and alma: adrian proposes a
 * grant and a role change in the web app, alma decides them.
 */
describe('Feature: dual control of security administration in the browser', function () {
  let api: TestApi;
  let browser: Browser;
  let adrian: string;
  let alma: string;
  const ALMA_PASSWORD = 'Lantern-Meadow-3381';
  const ids: Record<string, string> = {};

  before(async function () {
    // The tests turn dual control off; this feature is about it being on, as it is by default.
    ({ api, browser } = await openBrowserSuite(this, { settings: { dualControl: true }, templates: false }));
    await api.ctx.engine.identity.bootstrapUser({
      username: 'alma',
      printedName: 'Alma Amsel',
      roles: ['admin'],
      password: ALMA_PASSWORD,
      mustChangePassword: false,
    });
    adrian = await api.login('adrian');
    alma = await api.login('alma', ALMA_PASSWORD);
    const users = (await api.request('GET', '/api/users', { token: adrian })).body.users as {
      id: string;
      username: string;
    }[];
    for (const user of users) ids[user.username] = user.id;
  });
  after(() => closeBrowserSuite({ api, browser }));

  const rolesOf = async (username: string) =>
    (await api.request('GET', `/api/users/${ids[username]}`, { token: adrian })).body.roles as string[];
  const permissionsOf = async (role: string) =>
    (
      (await api.request('GET', '/api/roles', { token: adrian })).body.roles as {
        name: string;
        permissions: string[];
      }[]
    ).find((r) => r.name === role)!.permissions;
  const pending = async () =>
    (await api.request('GET', '/api/security-changes?status=pending', { token: adrian })).body.changes as {
      id: string;
      kind: string;
      target: string;
    }[];
  const open = async (page: Page, route: string, ready: string) => {
    await page.click(`nav a[data-route=${route}]`);
    await page.waitForSelector(ready);
  };
  const operatorBefore: string[] = [];

  it('A3, B5: adrian proposes a grant of GMP approval authority and a change of a role; neither is in effect, and he cannot decide them', async () => {
    operatorBefore.push(...(await permissionsOf('operator')));
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'adrian', demoPassword('adrian'));
    await page.waitForSelector('#who');
    const menu = await page.locator('nav a').allInnerTexts();
    assert.ok(menu.includes('Roles') && menu.includes('Security changes'), menu.join(', '));

    await open(page, 'users', '#users');
    // A new user gets GMP approval authority only by a grant a second administrator approves
    await page.click('#user-new');
    assert.equal(await page.locator('#user-roles input[value=qa]').isDisabled(), true);
    assert.equal(await page.locator('#user-roles input[value=operator]').isDisabled(), false);
    assert.match(
      await page.locator('#user-roles').innerText(),
      /create the user first, then propose the grant/,
    );
    await page.click('#user-form button[type=reset]');

    // The grant: ticking a role with GMP approval authority turns signing into proposing
    await page.click('#users button[data-action=roles][data-user=oscar]');
    await page.waitForSelector('#roles-dialog');
    assert.match(await page.locator('#roles-dialog-dual').innerText(), /Dual control is on/);
    assert.match(await page.locator('#roles-dialog-meaning').innerText(), /Approved/);
    await page.check('#roles-dialog input[value=qa]');
    assert.match(
      await page.locator('#roles-dialog-meaning').innerText(),
      /Meaning of your signature: Proposed/,
    );
    assert.match(
      await page.locator('#roles-dialog-dual').innerText(),
      /records\.review.*second administrator/,
    );
    assert.equal(await page.locator('#roles-dialog [data-action=confirm]').innerText(), 'Sign and propose');
    await page.fill('#roles-dialog-password', demoPassword('adrian'));
    await page.fill('#roles-dialog-reason', 'Oscar moves to QA review');
    await page.click('#roles-dialog [data-action=confirm]');
    await page.waitForSelector('#users-notice.success');
    assert.match(
      await page.locator('#users-notice').innerText(),
      /roles of Oscar Osei \(oscar\) is proposed\. It waits for a second administrator and is not in effect yet/,
    );
    assert.deepEqual(await rolesOf('oscar'), ['operator'], 'not granted yet');
    assert.match(await page.locator('#users tr[data-user=oscar]').innerText(), /Change pending approval/);
    await page.screenshot({ path: `${SCREENSHOTS}dual-users-proposed.png`, fullPage: true });

    // The role: a change of permissions is proposed too; the role adrian holds he cannot change
    await open(page, 'roles', '#roles');
    assert.match(await page.locator('#roles tr[data-role=admin]').innerText(), /You hold this role/);
    assert.equal(await page.locator('#roles tr[data-role=admin] button').count(), 0);
    await page.click('#roles button[data-action=change][data-role=operator]');
    await page.waitForSelector('#role-dialog');
    await page.check('#role-dialog input[value="records.void"]');
    assert.match(await page.locator('#role-dialog-meaning').innerText(), /Proposed/);
    assert.match(await page.locator('#role-dialog-dual').innerText(), /second administrator approves/);
    await page.screenshot({ path: `${SCREENSHOTS}dual-role-dialog.png` });
    await page.fill('#role-dialog-password', demoPassword('adrian'));
    await page.fill('#role-dialog-reason', 'Operators void their own drafts');
    await page.click('#role-dialog [data-action=confirm]');
    await page.waitForSelector('#roles-notice.success');
    assert.match(await page.locator('#roles-notice').innerText(), /is proposed/);
    assert.deepEqual(await permissionsOf('operator'), operatorBefore, 'the role is unchanged');
    assert.match(await page.locator('#roles tr[data-role=operator]').innerText(), /Change pending approval/);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}dual-roles.png`, fullPage: true });

    // Both wait; adrian cannot decide his own proposals, and the server refuses him anyway
    await page.click('#roles-changes');
    await page.waitForSelector('#changes-pending section[data-kind=role]');
    const cards = page.locator('#changes-pending section.admin-change');
    assert.equal(await cards.count(), 2);
    assert.match(await page.locator('#changes-count').innerText(), /2 waiting/);
    for (const card of await cards.all()) {
      assert.equal(await card.locator('button[data-action=approve]').isDisabled(), true);
      assert.equal(await card.locator('button[data-action=reject]').isDisabled(), true);
      assert.match(await card.innerText(), /You proposed this change: another administrator must decide it/);
    }
    await page.screenshot({ path: `${SCREENSHOTS}dual-changes-proposer.png`, fullPage: true });
    for (const change of await pending()) {
      const own = await api.request('POST', `/api/security-changes/${change.id}/approve`, {
        token: adrian,
        body: { signature: { password: demoPassword('adrian') } },
      });
      assert.equal(own.status, 403, own.text);
    }
    assert.deepEqual(problems, []);
    await close();
  });

  it('A3: alma sees exactly what changes, approves the grant and rejects the role change with a reason', async () => {
    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'alma', ALMA_PASSWORD);
    await page.waitForSelector('#who');
    await open(page, 'security-changes', '#changes-pending section.admin-change');

    const grant = page.locator('#changes-pending section[data-kind=user-roles]');
    const grantText = await grant.innerText();
    assert.match(grantText, /Roles of Oscar Osei \(oscar\)/);
    assert.match(grantText, /Granted\s+QA reviewer \(qa\)/);
    assert.match(grantText, /Proposed by Adrian Alder \(adrian\)/);
    assert.match(grantText, /Reason: Oscar moves to QA review/);
    assert.deepEqual((await grant.locator('[data-gmp]').getAttribute('data-gmp'))!.split(' ').sort(), [
      'materials.release',
      'records.approve',
      'records.reopen',
      'records.review',
      'templates.approve',
    ]);
    const role = page.locator('#changes-pending section[data-kind=role]');
    const roleText = await role.innerText();
    assert.match(roleText, /Permissions of the role Operator \(operator\)/);
    assert.deepEqual(await role.locator('li[data-diff]').allInnerTexts(), [
      'Added\nVoid records (records.void)',
    ]);
    assert.equal(await role.locator('button[data-action=approve]').isDisabled(), false);
    await checkTouchAndWidth(page);
    await page.screenshot({ path: `${SCREENSHOTS}dual-changes-second.png`, fullPage: true });

    // Approve the grant: the signature dialog shows the meaning and what is approved
    await grant.locator('button[data-action=approve]').click();
    await page.waitForSelector('#approve-change-dialog');
    assert.match(await page.locator('#approve-change-dialog-meaning').innerText(), /Approved/);
    assert.match(await page.locator('#approve-change-dialog-signer').innerText(), /\(alma\)/);
    assert.match(await page.locator('#approve-change-dialog').innerText(), /QA reviewer \(qa\)/);
    await page.fill('#approve-change-dialog-password', 'not-her-Password-1');
    await page.click('#approve-change-dialog [data-action=confirm]');
    await page.waitForSelector('#approve-change-dialog [role=alert]:not([hidden])');
    assert.match(await page.locator('#approve-change-dialog [role=alert]').innerText(), /password is wrong/);
    await page.fill('#approve-change-dialog-password', ALMA_PASSWORD);
    await page.fill('#approve-change-dialog-reason', 'Training complete');
    await page.click('#approve-change-dialog [data-action=confirm]');
    await page.waitForSelector('#changes-notice.success');
    assert.match(await page.locator('#changes-notice').innerText(), /Approved and in effect: Roles of Oscar/);
    assert.deepEqual(await rolesOf('oscar'), ['operator', 'qa'], 'the grant is in effect');

    // Reject the role change: a reason is required
    await role.locator('button[data-action=reject]').click();
    await page.waitForSelector('#reject-change-dialog');
    assert.match(await page.locator('#reject-change-dialog-meaning').innerText(), /Rejected/);
    await page.fill('#reject-change-dialog-password', ALMA_PASSWORD);
    await page.click('#reject-change-dialog [data-action=confirm]');
    await page.waitForSelector('#reject-change-dialog-reason-error:not([hidden])');
    await page.fill('#reject-change-dialog-reason', 'Voiding stays with QA');
    await page.click('#reject-change-dialog [data-action=confirm]');
    await page.waitForSelector('#changes-notice.success');
    assert.match(
      await page.locator('#changes-notice').innerText(),
      /Rejected: Permissions of the role Operator/,
    );
    assert.deepEqual(await permissionsOf('operator'), operatorBefore, 'the rejected role is unchanged');

    await page.waitForSelector('#changes-none-pending');
    const decided = page.locator('#changes-decided-table');
    assert.equal(await decided.locator('tr[data-status=approved]').count(), 1);
    const rejected = await decided.locator('tr[data-status=rejected]').innerText();
    assert.match(rejected, /Alma Amsel \(alma\)/);
    assert.match(rejected, /Reason: Voiding stays with QA/);
    await page.screenshot({ path: `${SCREENSHOTS}dual-changes-decided.png`, fullPage: true });
    onlyRefusals(problems, [401]);
    assert.equal(problems.length, 1, problems.join('\n'));
    await close();
  });

  it('on a tablet, and in Chinese, a change decided meanwhile is told in the person’s language', async () => {
    const proposed = await api.request('POST', `/api/users/${ids.olivia}/roles/proposals`, {
      token: adrian,
      body: {
        roles: ['operator', 'qp'],
        signature: { password: demoPassword('adrian'), reason: 'Olivia qualifies as QP' },
      },
    });
    assert.equal(proposed.status, 201, proposed.text);

    const tablet = await watchedPage(browser, { width: 800, height: 1280 });
    await signIn(tablet.page, api.url, 'alma', ALMA_PASSWORD);
    await tablet.page.waitForSelector('#who');
    await open(tablet.page, 'security-changes', '#changes-pending section.admin-change');
    await checkTouchAndWidth(tablet.page);
    await tablet.page.locator('#changes-pending section.admin-change button[data-action=reject]').click();
    await tablet.page.waitForSelector('#reject-change-dialog');
    await tablet.page.screenshot({ path: `${SCREENSHOTS}dual-reject-dialog-tablet.png` });
    await tablet.page.click('#reject-change-dialog [data-action=cancel]');
    await tablet.page.screenshot({ path: `${SCREENSHOTS}dual-changes-tablet.png`, fullPage: true });
    assert.deepEqual(tablet.problems, []);
    await tablet.close();

    const { page, problems, close } = await watchedPage(browser);
    await signIn(page, api.url, 'alma', ALMA_PASSWORD);
    await page.waitForSelector('#who');
    await page.selectOption('#language', 'zh-CN');
    await page.waitForSelector('nav a[data-route=security-changes]:has-text("安全变更")');
    await open(page, 'security-changes', '#changes-pending section.admin-change');
    assert.match(await page.locator('#changes-pending').innerText(), /授予/);
    await page.screenshot({ path: `${SCREENSHOTS}dual-changes-zh.png`, fullPage: true });

    // Someone decides it meanwhile (here alma herself, over the API): the page's button is stale
    const meanwhile = await api.request('POST', `/api/security-changes/${proposed.body.id}/reject`, {
      token: alma,
      body: { signature: { password: ALMA_PASSWORD, reason: 'Decided elsewhere' } },
    });
    assert.equal(meanwhile.status, 200, meanwhile.text);
    await page.click(
      `#changes-pending section[data-change="${proposed.body.id}"] button[data-action=approve]`,
    );
    await page.fill('#approve-change-dialog-password', ALMA_PASSWORD);
    await page.click('#approve-change-dialog [data-action=confirm]');
    await page.waitForSelector('#changes-notice.error');
    assert.match(await page.locator('#changes-notice').innerText(), /此变更已被决定/);
    assert.deepEqual(await rolesOf('olivia'), ['operator']);
    await page.screenshot({ path: `${SCREENSHOTS}dual-changes-zh-decided-meanwhile.png`, fullPage: true });
    onlyRefusals(problems, [409]);
    await page.selectOption('#language', 'en');
    await close();
  });
});
