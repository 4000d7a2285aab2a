import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { seedDemoMaterials, type DemoPlant } from '../../src/demoMaterials.ts';
import { SHIPPED_TEMPLATES } from '../../src/paths.ts';
import { type DemoUser, type TestApi } from '../http/support/api.ts';
import {
  closeBrowserSuite,
  onlyRefusals,
  openBrowserSuite,
  SCREENSHOTS,
  signedInPage,
  verifiedBySecondPerson,
} from './support.ts';

/** The tablet on the dispensing booth's wall, held upright. */
const TABLET = { width: 800, height: 1280 };

/**
 * Feature: an operator scans material lots into a dispensing step on a tablet, as a wedge scanner
 * types them (the characters, then Enter), in the demo plant (`npm start`): a lot in quarantine is
 * refused at its field; the lot FEFO proposes is one tap away; a released lot other than it is
 * taken only with her reason, confirmed before she signs, and kept with the record.
 */
describe('Feature: scanning material lots into a dispensing step, on an 800×1280 tablet, in English and Chinese', function () {
  let api: TestApi;
  let browser: Browser;
  let plant: DemoPlant;
  const tokens: Partial<Record<DemoUser, string>> = {};
  before(async function () {
    ({ api, browser } = await openBrowserSuite(this));
    plant = await seedDemoMaterials(api.ctx.engine, SHIPPED_TEMPLATES);
    for (const who of ['olivia', 'oscar', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => closeBrowserSuite({ api, browser }));

  const call = (who: DemoUser, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], body });
  const ok = async <T extends { status: number; text: string }>(response: Promise<T>, status = 200) => {
    const r = await response;
    assert.equal(r.status, status, r.text);
    return r;
  };
  const openTask = async (record: string, elementId: string) => {
    const found = (await ok(call('quinn', 'GET', `/api/records/${record}`))).body;
    const task = (found.openTasks as { id: string; elementId: string }[]).find(
      (t) => t.elementId === elementId,
    );
    assert.ok(task, `no open task ${elementId}`);
    return task;
  };
  const completed = async (who: DemoUser, record: string, elementId: string, data: unknown) => {
    const task = await openTask(record, elementId);
    await ok(
      call(who, 'POST', `/api/tasks/${task.id}/complete`, {
        data,
        signature: { password: demoPassword(who) },
      }),
    );
  };
  /** A batch of PCM-500 at 100 kg, its order given and its line cleared, at its first dispensing line. */
  async function batchAtDispensing(title: string): Promise<string> {
    const started = await ok(
      call('olivia', 'POST', '/api/records', { template: 'batch-record', title, parameterSet: 'PCM-500' }),
      201,
    );
    const number = started.body.number as string;
    await completed('olivia', number, 'order', {
      orderNumber: 'PO-260201',
      batchNumber: title,
      batchSize: 100,
    });
    await completed('olivia', number, 'lineClearance', {
      room: 'DSP-01',
      roomStatus: 'clean',
      equipmentStatus: 'clean',
      previousProduct: 'none',
      documentsRemoved: true,
      labelsRemoved: true,
    });
    await completed('oscar', number, 'lineClearanceCheck', { clearanceConfirmed: true });
    return number;
  }

  const session = (who: DemoUser) => signedInPage({ api, browser }, who, { viewport: TABLET });
  async function shot(page: Page, name: string) {
    await page.screenshot({ path: `${SCREENSHOTS}lot-scan-${name}.png` });
  }
  async function openStep(page: Page, record: string) {
    await page.goto(`${api.url}/#/task/${(await openTask(record, 'dispense')).id}`);
    await page.waitForSelector('#step-form .formio-form');
  }
  /** Types into the lot field as a wedge scanner does: what it read, then Enter. */
  async function scan(page: Page, code: string) {
    const lot = page.locator('[name="data[lot]"]');
    await lot.fill('');
    await lot.click();
    await page.keyboard.type(code, { delay: 5 });
    await page.keyboard.press('Enter');
  }
  /** The weight typed by hand, verified by Oscar on Olivia's screen with his own id and password. */
  async function weighedAndVerified(page: Page, netWeight: string) {
    await page.fill('[name="data[netWeight]"]', netWeight);
    await verifiedBySecondPerson(page, 'oscar');
  }

  let batch = '';

  it('F3: olivia scans a lot in quarantine and is refused at the field; FEFO’s lot is one tap away; she takes a later-expiring lot with her reason, confirmed before she signs, and the record keeps it', async () => {
    batch = await batchAtDispensing('B26-0201');
    const { first, later, quarantined } = plant.paracetamol;
    const olivia = await session('olivia');
    const { page } = olivia;
    await openStep(page, batch);

    // The panel proposes the paracetamol lot that expires first.
    const proposal = page.locator('#lot-proposals li[data-pointer="/lot"]');
    await proposal.waitFor();
    assert.match(
      await proposal.innerText(),
      new RegExp(`material API-PCM[\\s\\S]*First expiry, first out: lot ${first}`),
    );
    assert.equal(await proposal.locator('button').innerText(), `Use lot ${first}`);

    // A lot in quarantine: refused when saved, with the reason at the field; nothing is kept.
    await page.fill('[name="data[material]"]', 'API-PCM');
    await scan(page, quarantined);
    await page.click('#step-save');
    const refusal = page.locator('.formio-component-lot', { hasText: 'is in quarantine' });
    await refusal.waitFor();
    assert.match(
      await refusal.innerText(),
      new RegExp(`Lot ${quarantined} is in quarantine: only a released lot may be used`),
    );
    await shot(page, 'quarantine-refused');
    const saved = (await ok(call('quinn', 'GET', `/api/records/${batch}/dossier`))).body;
    assert.deepEqual(saved.exceptions, []);

    // "Use lot …" puts FEFO's lot in the field.
    await proposal.locator('button').click();
    assert.equal(await page.inputValue('[name="data[lot]"]'), first);
    await shot(page, 'fefo-proposal');

    // She scans the lot that expires later instead, and weighs.
    await scan(page, later);
    assert.equal(await page.inputValue('[name="data[lot]"]'), later);
    await weighedAndVerified(page, '80.02');

    // Completing asks why not the lot that expires first, before the signature.
    await page.click('#step-complete');
    await page.waitForSelector('#breach-dialog[open]');
    const asked = page.locator('#breach-dialog li[data-pointer="/lot"]');
    assert.match(
      await asked.innerText(),
      new RegExp(
        `Lot ${later} \\(expires \\d{4}-\\d{2}-\\d{2}\\) is used although lot ${first} expires first`,
      ),
    );
    assert.match(
      await page.locator('#breach-dialog').innerText(),
      /Why not the lot that expires first\? \(required\)/,
    );
    // Without a reason it is not taken.
    await page.check('#breach-confirmed');
    await page.click('#breach-dialog [data-action=confirm]');
    await page
      .locator('#breach-dialog', { hasText: 'Give the reason for using this lot out of FEFO order' })
      .waitFor();
    const reason = `Lot ${first} is on hold at the warehouse door; its pallet is being relabelled`;
    await page.fill('#breach-comment-0', reason);
    await shot(page, 'fefo-reason');
    await page.click('#breach-dialog [data-action=confirm]');
    await page.waitForSelector('#sign-dialog[open]');
    await page.fill('#sign-password', demoPassword('olivia'));
    await page.click('#sign-dialog [data-action=confirm]');
    await page.waitForSelector('#notice');

    // The record keeps the exception, with her reason, and the lot she used.
    await page.goto(`${api.url}/#/record/${batch}`);
    const exception = page.locator('#record-exceptions li.exception');
    await exception.waitFor();
    assert.match(await exception.innerText(), new RegExp(`${later}[\\s\\S]*${first}[\\s\\S]*${reason}`));
    await page.locator('#record-exceptions').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot(page, 'record-exception');
    onlyRefusals(olivia.problems, [400]);
    await olivia.close();

    const dossier = (await ok(call('quinn', 'GET', `/api/records/${batch}/dossier`))).body;
    assert.equal(dossier.exceptions.length, 1);
    const [fefo] = dossier.exceptions;
    assert.deepEqual([fefo.type, fefo.blocking, fefo.comment], ['fefo_override', false, reason]);
    assert.match(fefo.message, new RegExp(`Lot ${later} .* is used although lot ${first} expires first`));
  });

  it('in Chinese, the panel and the confirmation speak Chinese; the lots and the server’s reasons are as written', async () => {
    const { first, later } = plant.paracetamol;
    const second = await batchAtDispensing('B26-0202');
    await ok(call('olivia', 'PUT', '/api/auth/language', { language: 'zh-CN' }));
    try {
      const olivia = await session('olivia');
      const { page } = olivia;
      await openStep(page, second);
      const panel = page.locator('#lot-proposals');
      await panel.waitFor();
      assert.match(await panel.locator('h2').innerText(), /本步骤的物料批次/);
      assert.match(await panel.innerText(), new RegExp(`物料 API-PCM[\\s\\S]*先到期先出：批次 ${first}`));
      assert.equal(await panel.locator('button').innerText(), `使用批次 ${first}`);
      await page.fill('[name="data[material]"]', 'API-PCM');
      await scan(page, later);
      await weighedAndVerified(page, '80.01');
      await page.click('#step-complete');
      await page.waitForSelector('#breach-dialog[open]');
      const dialog = await page.locator('#breach-dialog').innerText();
      assert.match(dialog, /需确认的异常/);
      assert.match(dialog, /为何不使用最先到期的批次？（必填）/);
      await shot(page, 'fefo-reason-zh-CN');
      onlyRefusals(olivia.problems, []);
      await olivia.close();
    } finally {
      await call('olivia', 'PUT', '/api/auth/language', { language: 'en' });
    }
  });
});
