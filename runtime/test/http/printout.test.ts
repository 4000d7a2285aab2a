import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSettings, type Dossier } from '@attest/engine';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { attachTestDevice } from '../../../engine/test/support/devices.ts';
import { recordPrintout } from '../../src/printout/recordPrintout.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import {
  makeEffective,
  shippedPackage,
  temperatureField,
  testManifest,
  testPackage,
  testProcess,
} from './support/templatePackage.ts';
import { deviationReport } from './support/deviationReport.ts';

const OUTPUT = fileURLToPath(new URL('../../../.test-output/', import.meta.url));
const PRINTOUTS = join(OUTPUT, 'printouts');
const SCREENSHOTS = join(OUTPUT, 'screenshots');
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const ZONE = 'Asia/Shanghai';

/** pdftotext and pdftoppm read what was printed back (poppler-utils; CI installs it). */
const POPPLER = ['pdftotext', 'pdftoppm'].every((tool) => !spawnSync(tool, ['-v']).error);

/** The printout's text as pdftotext lays it out, one string per page. */
function pagesOf(file: string): string[] {
  const run = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.split('\f').filter((page, i, all) => i < all.length - 1 || page.trim() !== '');
}

/** The printout's text with every run of white space made one space, so that phrases can be found. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

async function save(name: string, pdf: Buffer): Promise<string> {
  await mkdir(PRINTOUTS, { recursive: true });
  const file = join(PRINTOUTS, name);
  await writeFile(file, pdf);
  return file;
}

/** A report form whose values raise exceptions: a temperature beyond its limits, an N/A. */
const measuredForm = () => ({
  title: 'Room check',
  display: 'form',
  components: [
    { type: 'textfield', key: 'what', label: 'Observation', input: true, validate: { required: true } },
    {
      ...temperatureField('either'),
      attest: { ...temperatureField('either').attest, device: { kind: 'sensor', channel: 'T1' } },
    },
    {
      type: 'number',
      key: 'humidity',
      label: 'Humidity',
      input: true,
      attest: { unit: '%', naAllowed: true },
    },
  ],
});

describe('Feature: the record printout, a PDF for people (D5, D6)', () => {
  let api: TestApi;
  const tokens = {} as Record<DemoUser, string>;

  before(async () => {
    if (!POPPLER)
      console.warn(
        '      pdftotext/pdftoppm missing (apt-get install poppler-utils): the text checks are skipped',
      );
    api = await startTestApi({
      settings: { passwordPolicy: { maxAgeDays: 0 }, plant: { timeZone: ZONE } },
    });
    for (const u of ['olivia', 'quinn', 'petra'] as const) tokens[u] = await api.login(u);
    const packages: [string, Record<string, string>][] = [
      ['capa', await shippedPackage('capa', '1.0.0')],
      ['deviation', await shippedPackage('deviation', '1.0.0')],
      [
        'tst',
        testPackage('1.0.0', {
          manifest: testManifest('1.0.0', { title: 'Room check' }),
          process: testProcess(),
          form: measuredForm(),
        }),
      ],
    ];
    for (const [id, files] of packages) await makeEffective(api, tokens, id, files);
  });
  after(() => api?.close());

  function call(user: DemoUser, method: string, path: string, body?: unknown) {
    return api.request(method, path, { token: tokens[user], body });
  }
  async function openTask(record: string, elementId: string): Promise<string> {
    const found = await call('quinn', 'GET', `/api/records/${record}`);
    assert.equal(found.status, 200, found.text);
    const task = (found.body.openTasks as { id: string; elementId: string }[]).find(
      (t) => t.elementId === elementId,
    );
    assert.ok(task, `no open ${elementId} on ${record}`);
    return task.id;
  }
  /** Completes a step, signing it unless told that the model does not sign it. */
  async function complete(user: DemoUser, record: string, elementId: string, body: object, signed = true) {
    const task = await openTask(record, elementId);
    const done = await call(user, 'POST', `/api/tasks/${task}/complete`, {
      ...(signed && { signature: { password: demoPassword(user) } }),
      ...body,
    });
    assert.equal(done.status, 200, done.text);
  }

  it('refuses, at start, a plant time zone that Intl does not know', () => {
    assert.equal(resolveSettings().plant.timeZone, 'UTC');
    assert.equal(resolveSettings({ plant: { timeZone: ZONE } }).plant.timeZone, ZONE);
    for (const timeZone of ['Mars/Olympus', 'Asia/Shanghai ', ''])
      assert.throws(
        () => resolveSettings({ plant: { timeZone } }),
        /plant\.timeZone must be an IANA time zone/,
      );
  });

  describe('Scenario: a deviation reported, triaged with a corrected classification, investigated and approved', () => {
    let number: string;
    let pdf: Buffer;
    let file: string;
    let pages: string[];
    let text: string;

    before(async () => {
      const started = await call('olivia', 'POST', '/api/records', {
        template: 'deviation',
        title: 'Torn liner on a lactose drum',
      });
      assert.equal(started.status, 201, started.text);
      number = started.body.number;
      await complete('olivia', number, 'report', {
        data: {
          ...deviationReport(),
          description: 'The inner liner of drum 3 of lactose lot L-778 was torn at receipt.',
        },
      });
      // Quinn saves her triage, then corrects the classification before completing it.
      const triage = await openTask(number, 'triage');
      const saved = await call('quinn', 'PUT', `/api/tasks/${triage}/values`, {
        data: { classification: 'minor', justification: 'No product contact.' },
      });
      assert.equal(saved.status, 200, saved.text);
      await complete('quinn', number, 'triage', {
        data: {
          classification: 'major',
          justification: 'No product contact.',
          investigationRequired: 'yes',
          investigationLead: 'quinn',
        },
        reason: 'Fragments near the sieve',
      });
      await complete('quinn', number, 'investigate', {
        data: {
          rootCauseMethod: 'five-why',
          why1: 'The liner tore when the drum was opened.',
          why2: 'The cutter blade was set too deep.',
          rootCause: 'The drum-opening tool has no depth stop.',
          batchImpact: 'B-2026-014 was not dispensed from this drum.',
          productImpact: 'none',
          classification: 'major',
          capaRequired: 'no',
        },
      });
      await complete('petra', number, 'approve', { data: { classification: 'major', decision: 'approve' } });

      const response = await call('quinn', 'GET', `/api/records/${number}/printout`);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get('content-type'), 'application/pdf');
      assert.equal(response.headers.get('content-disposition'), `attachment; filename="${number}.pdf"`);
      pdf = response.bytes;
      file = await save(`${number}.pdf`, pdf);
      if (POPPLER) {
        pages = pagesOf(file);
        text = pages.join('\n');
      }
    });

    it('D6: comes as a PDF download named after the record', () => {
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.ok(pdf.length > 5_000, `${pdf.length} bytes`);
      assert.match(pdf.subarray(-1024).toString('latin1'), /%%EOF\s*$/);
    });

    it('D6: every page names the record, its template version, its page number of all, and who printed it when', function () {
      if (!POPPLER) this.skip();
      assert.ok(pages.length >= 2, `${pages.length} pages`);
      pages.forEach((page, i) => {
        assert.match(
          page,
          new RegExp(`^\\s*${number}\\s+Template deviation 1\\.0\\.0\\s*$`, 'm'),
          `page ${i + 1}`,
        );
        assert.match(page, new RegExp(`Page ${i + 1} of ${pages.length}\\s*$`, 'm'), `page ${i + 1}`);
        assert.match(
          flat(page),
          /Printed by Quinn [^(]+\(quinn\) on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+08:00; times in Asia\/Shanghai/,
          `page ${i + 1}`,
        );
      });
    });

    it('D6: the header block holds number, title, status, template, owner, created and due, in the plant time zone', function () {
      if (!POPPLER) this.skip();
      const first = flat(pages[0]!);
      for (const phrase of [
        `Record number ${number}`,
        'Title Torn liner on a lactose drum',
        'Status closed',
        'Template deviation, version 1.0.0: Deviation',
        'Owner Olivia',
      ])
        assert.ok(first.includes(phrase), `page 1 has "${phrase}"`);
      assert.match(first, /Created \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+08:00 by Olivia/);
      assert.match(first, /Due (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+08:00|none)/);
      assert.doesNotMatch(first, /code points/, 'no notice: every character was printable');
    });

    it('D6: each step with who completed it, its form version and a table of its field labels and values', function () {
      if (!POPPLER) this.skip();
      const all = flat(text);
      for (const step of [
        '1. Report the deviation (completed)',
        '2. QA triage (completed)',
        '3. Investigate the root cause (completed)',
        '4. QA approval (completed)',
      ])
        assert.ok(all.includes(step), step);
      assert.match(
        all,
        /completed \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+08:00 by Olivia [^(]+\(olivia\); form deviation-report, version 1/,
      );
      for (const [label, value] of [
        ['Equipment involved', 'BAL-007'],
        ['Batch number', 'B-2026-014'],
        ['Classification', 'Major \\(major\\)'],
        ['When did it happen\\?', '2026-11-24 16:30:00 UTC\\+08:00'],
        ['Root cause', 'The drum-opening tool'],
        ['Decision', 'Approve: close the deviation \\(approve\\)'],
      ]) {
        assert.match(text, new RegExp(`${label}.*${value}`), `${label}: ${value}`);
      }
      assert.match(text, /Manual/);
    });

    it('D5: a value changed after its original entry is marked CHANGED, with the original value, who changed it, when and why', function () {
      if (!POPPLER) this.skip();
      assert.equal(
        text.match(/CHANGED after original entry/g)?.length,
        1,
        'only the one changed value is marked',
      );
      // The mark and its lines stand in the value's cell, one under the other, beside the other columns.
      const lines = text.split('\n');
      const row = lines.findIndex((l) => /^\s*Classification\s+Major \(major\)\s+Manual\s+Quinn/.test(l));
      assert.ok(row >= 0, 'the changed value has its row');
      const cell = lines.slice(row, row + 6).join('\n');
      const marks = [
        /CHANGED after original entry/,
        /Original value: Minor \(minor\)/,
        /Changed by Quinn [^(]+\(quinn\) on/,
        /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\+08:00/,
        /Reason: Fragments near the sieve/,
      ];
      marks.forEach((mark, i) => assert.match(lines[row + 1 + i] ?? '', mark, cell));
    });

    it('B2: each signature is printed with its manifestation: printed name, user id, time with zone, meaning', async function () {
      if (!POPPLER) this.skip();
      const listed = await call('quinn', 'GET', `/api/records/${number}/dossier`);
      const signatures = (listed.body as Dossier).signatures;
      assert.deepEqual(
        signatures.map((s) => `${s.manifestation.userId}:${s.meaning}`),
        ['olivia:Performed', 'quinn:Reviewed', 'quinn:Performed', 'petra:Approved'],
      );
      const all = flat(text);
      for (const s of signatures) {
        assert.ok(all.includes(s.manifestation.text), `the printout has "${s.manifestation.text}"`);
        assert.match(s.manifestation.text, / \(\w+\) on \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
      }
      assert.match(all, /Signed: Approved by Petra [^(]+\(petra\) on /);
      assert.match(all, /\b4 Approved by Petra [^(]+\(petra\)/, 'the signatures table numbers them');
      assert.match(all, /No exceptions were raised\./);
    });

    it('D6: the appendix holds the whole audit trail, each entry with its sequence, time, actor, event type and hash prefix', async function () {
      if (!POPPLER) this.skip();
      const response = await call('quinn', 'GET', `/api/records/${number}/dossier`);
      const { audit } = response.body as Dossier;
      const start = pages.findIndex((p) => /^\s*Appendix: audit trail\s*$/m.test(p));
      assert.ok(start > 0, 'the appendix starts on a page of its own');
      const appendix = pages.slice(start);
      const rows = flat(appendix.join('\n'));
      assert.match(rows, new RegExp(`All ${audit.length} entries of the record's audit trail`));
      for (const type of ['record.created', 'form.values_entered', 'task.completed', 'signature.applied'])
        assert.ok(rows.includes(type), `the appendix has ${type}`);
      for (const event of audit)
        assert.ok(rows.includes(event.hash.slice(0, 12)), `entry ${event.seq} is printed`);
      const reasoned = audit.find((e) => e.reason === 'Fragments near the sieve');
      assert.ok(reasoned, 'the change is in the trail with its reason');
      const line = appendix
        .join('\n')
        .split('\n')
        .find((l) => l.includes(reasoned.hash.slice(0, 12)));
      assert.match(
        line ?? '',
        new RegExp(`${reasoned.type}\\s+Fragments near`),
        'the reason is printed beside it',
      );
      assert.match(rows, new RegExp(`End of the printout of ${number}\\.`));
    });

    it('renders page 1 as an image a person can look at', async function () {
      if (!POPPLER) this.skip();
      await mkdir(SCREENSHOTS, { recursive: true });
      const png = join(SCREENSHOTS, 'printout-page1.png');
      await rm(png, { force: true });
      // -singlefile names the image after the root given, without a page number.
      const args = ['-png', '-r', '60', '-f', '1', '-l', '1', '-singlefile', file, png.replace(/\.png$/, '')];
      const run = spawnSync('pdftoppm', args, { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const image = await readFile(png);
      assert.equal(image.subarray(1, 4).toString('latin1'), 'PNG');
      // An A4 page at 60 dpi is 497 × 702 pixels; a blank one compresses to almost nothing.
      assert.deepEqual([image.readUInt32BE(16), image.readUInt32BE(20)], [497, 702]);
      assert.ok(image.length > 10_000, `${image.length} bytes`);
    });

    it('prints the same bytes from the same dossier', async () => {
      const response = await call('quinn', 'GET', `/api/records/${number}/dossier`);
      const dossier = response.body as Dossier;
      const [a, b] = await Promise.all([
        recordPrintout(dossier, { timeZone: ZONE }),
        recordPrintout(structuredClone(dossier), { timeZone: ZONE }),
      ]);
      assert.ok(a.equals(b));
    });
  });

  describe('Scenario: exceptions, device readings, N/A and text beyond the standard font', () => {
    let number: string;
    let dossier: Dossier;

    before(async () => {
      const started = await call('olivia', 'POST', '/api/records', { template: 'tst', title: 'Warm room' });
      assert.equal(started.status, 201, started.text);
      number = started.body.number;
      // The room's thermometer, read by the server into the step
      const thermometer = await attachTestDevice(api.ctx.engine, { code: 'TH-12', kind: 'sensor' });
      thermometer.answer('T  31.0 C', { value: 31, unit: '°C', stable: true, status: 'ok' });
      const read = await call('olivia', 'POST', `/api/tasks/${await openTask(number, 'report')}/readings`, {
        pointer: '/temperature',
        deviceId: thermometer.device.id,
      });
      assert.equal(read.status, 200, read.text);
      await thermometer.close();
      await complete(
        'olivia',
        number,
        'report',
        {
          data: { what: 'Lot 批号 Ω', temperature: 31 },
          sources: { '/temperature': { source: 'device', reading: read.body.reading.id } },
          na: { '/humidity': 'Hygrometer out for calibration' },
          confirmed: ['/temperature'],
          comments: { '/temperature': 'Sensor by the open door; product probe read 24 °C' },
        },
        false,
      );
      // QA decides on the blocking temperature exception before the review (F4).
      const held = (await call('petra', 'GET', `/api/records/${number}/dossier`)).body as Dossier;
      const blocking = held.exceptions.find((e) => e.blocking)!;
      for (const action of ['assess', 'accept']) {
        const decided = await call('petra', 'POST', `/api/exceptions/${blocking.id}/dispositions`, {
          action,
          comment: action === 'assess' ? 'Logger confirms 31 °C for 10 min.' : 'Within the stability data.',
          password: demoPassword('petra'),
        });
        assert.equal(decided.status, 200, decided.text);
      }
      await complete('quinn', number, 'review', {});
      const response = await call('quinn', 'GET', `/api/records/${number}/dossier`);
      assert.equal(response.status, 200, response.text);
      dossier = response.body as Dossier;
    });

    it('answers an unknown record with a 404 problem', async () => {
      assertProblem(await call('quinn', 'GET', '/api/records/TST-1999-9999/printout'), 404, 'not-found');
    });

    it('D6: exceptions are printed highlighted with their severity; device values with device, channel and raw reading; N/A with its reason', async function () {
      if (!POPPLER) this.skip();
      const response = await call('quinn', 'GET', `/api/records/${number}/printout`);
      assert.equal(response.status, 200, response.text);
      const text = pagesOf(await save(`${number}.pdf`, response.bytes)).join('\n');
      assert.deepEqual(dossier.exceptions.map((e) => [e.severity, e.type]).sort(), [
        ['high', 'limit_breach'],
        ['low', 'na'],
      ]);
      assert.match(flat(text), /2 exceptions were raised on this record\./);
      // The operator's comment on the breach, in its message cell (F4).
      assert.match(text, /^\s+Operator’s comment: “Sensor by the\s/m);
      assert.match(text, /^\s+open door; product probe read 24 °C”\s/m);
      assert.match(text, /^\s*HIGH\s+Report\s+limit_breach\s+Temperature \(°C\) 31\.0 is above the/m);
      // QA's decisions on it, each with its signature (F4).
      assert.match(flat(text), /Assessed: “Logger confirms 31/);
      assert.match(flat(text), /Accepted: “Within the stability data\.” — Approved by Petra Pohl \(petra\)/);
      assert.match(text, /^\s*Blocking\s/m);
      assert.match(text, /^\s*LOW\s+Report\s+na\s+Humidity \(%\) was answered N\/A/m);
      assert.match(flat(text), /Exceptions raised in this step: HIGH limit_breach, LOW na/);
      // Each cell's lines stand one under the other, beside the other columns.
      const lines = text.split('\n');
      const temperature = lines.findIndex((l) =>
        /^\s*Temperature\s+31\.0 °C\s+Device TH-12\s+Olivia/.test(l),
      );
      assert.ok(temperature >= 0, 'the device value has its row');
      assert.match(lines[temperature + 1]!, /Raw reading: "T +31\.0 C"\s+Channel T1/);
      const humidity = lines.findIndex((l) => /^\s*Humidity\s+N\/A\s+Manual/.test(l));
      assert.ok(humidity >= 0, 'the N/A value has its row');
      assert.match(lines[humidity + 1]!, /Reason: Hygrometer out for calibration/);
    });

    it('D6: without a font, characters the standard font lacks print as code points, and the first page says so', async function () {
      if (!POPPLER) this.skip();
      const response = await call('quinn', 'GET', `/api/records/${number}/printout`);
      const pages = pagesOf(await save(`${number}-no-font.pdf`, response.bytes));
      const all = flat(pages.join('\n'));
      assert.match(all, /Observation\s+Lot <U\+6279><U\+53F7> <U\+03A9>\s+Manual/);
      assert.doesNotMatch(all, /批号|Ω/);
      assert.match(
        flat(pages[0]!),
        /printed as their Unicode code points.*configure a font file \(setting printout\.font\)/,
      );
      assert.doesNotMatch(flat(pages.slice(1).join('\n')), /printed as their Unicode code points/);
    });

    it('D6: with a font configured, they print as text; what the font lacks still prints as code points', async function () {
      if (!POPPLER) this.skip();
      if (!existsSync(DEJAVU)) {
        console.warn(`      ${DEJAVU} missing: the embedded font is not tried`);
        this.skip();
      }
      const pdf = await recordPrintout(dossier, { timeZone: ZONE, fontPath: DEJAVU });
      const pages = pagesOf(await save(`${number}-dejavu.pdf`, pdf));
      const all = flat(pages.join('\n'));
      // DejaVu Sans has Greek but no Chinese.
      assert.match(all, /Observation\s+Lot <U\+6279><U\+53F7> Ω\s+Manual/);
      assert.match(flat(pages[0]!), /printed as their Unicode code points/);
    });

    it('D6: a font that has every character needs no code points and no notice', async function () {
      if (!POPPLER) this.skip();
      if (!existsSync(DEJAVU)) this.skip();
      const greek = JSON.parse(JSON.stringify(dossier).replaceAll('批号', 'Łódź ψ')) as Dossier;
      const pdf = await recordPrintout(greek, { timeZone: 'UTC', fontPath: DEJAVU });
      const all = flat(pagesOf(await save(`${number}-greek.pdf`, pdf)).join('\n'));
      assert.match(all, /Observation\s+Lot Łódź ψ Ω\s+Manual/);
      assert.doesNotMatch(all, /<U\+|code points/);
    });
  });
});
