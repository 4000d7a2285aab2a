import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEquipment, receivedLot } from '../../../engine/test/support/gates.ts';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { expectInput } from './support/refusals.ts';

/** pdftotext reads what was printed back (poppler-utils; CI installs it). */
const POPPLER = !spawnSync('pdftotext', ['-v']).error;

/** The labels' text as pdftotext reads it, one string per page, white space made single spaces. */
async function pagesOf(pdf: Buffer): Promise<string[]> {
  const file = join(await mkdtemp(join(tmpdir(), 'attest-labels-')), 'labels.pdf');
  await writeFile(file, pdf);
  const run = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .split('\f')
    .filter((page) => page.trim() !== '')
    .map((page) => page.replace(/\s+/g, ' '));
}

describe('Feature: status labels of lots, containers and equipment, from the status the database holds now', () => {
  let api: TestApi;
  let quinn: string;
  let olivia: string;
  let lotNumber: string;

  before(async function () {
    if (!POPPLER) this.skip();
    api = await startTestApi({ settings: { plant: { timeZone: 'Asia/Shanghai' } } });
    quinn = await api.login('quinn');
    olivia = await api.login('olivia');
    ({ lotNumber } = await receivedLot(api.ctx.engine, 'PCM', [25, 20]));
    await cleanEquipment(api.ctx.engine, 'MX-01', 'High-shear mixer');
  });
  after(() => api?.close());

  const get = (path: string, token = quinn) => api.request('GET', path, { token });

  it('F3 prints a quarantined lot’s label as QUARANTINE and, once QA has released it, as RELEASED with who and when', async () => {
    const quarantined = await get(`/api/lots/${lotNumber}/labels`, olivia);
    assert.equal(quarantined.status, 200, quarantined.text);
    assert.equal(quarantined.headers.get('content-type'), 'application/pdf');
    assert.match(quarantined.headers.get('content-disposition') ?? '', /^inline; filename="PCM-.*\.pdf"$/);
    const [before] = await pagesOf(quarantined.bytes);
    assert.match(before!, /QUARANTINE/);
    assert.ok(before!.includes(lotNumber), before);
    assert.doesNotMatch(before!, /RELEASED/);

    const lot = await get(`/api/lots/${lotNumber}`);
    const released = await api.request('POST', `/api/lots/${lotNumber}/status`, {
      token: quinn,
      body: { status: 'released', version: lot.body.version, password: demoPassword('quinn') },
    });
    assert.equal(released.status, 200, released.text);

    const [after] = await pagesOf((await get(`/api/lots/${lotNumber}/labels?size=A7`, olivia)).bytes);
    assert.match(after!, /RELEASED/);
    assert.doesNotMatch(after!, /QUARANTINE/);
    assert.ok(after!.includes(lotNumber), after);
    // Who released it, and when in the plant's zone (UTC+8), as the signature states.
    assert.match(after!, /Quinn .*\(quinn\)/);
    assert.match(after!, /\+08:00/);
  });

  it('prints one label a container, each with its code, its place among the lot’s containers and its stock', async () => {
    const reply = await get(`/api/lots/${lotNumber}/labels?kind=containers&size=printer`);
    assert.equal(reply.status, 200, reply.text);
    const pages = await pagesOf(reply.bytes);
    assert.equal(pages.length, 2);
    const { body: lot } = await get(`/api/lots/${lotNumber}`);
    lot.containers.forEach((c: { code: string; stock: number }, i: number) => {
      assert.ok(pages[i]!.includes(c.code), pages[i]);
      assert.ok(pages[i]!.includes(`${c.stock} kg`), pages[i]);
      assert.match(pages[i]!, /RELEASED/);
    });
  });

  it('sends the labels as ZPL for a Zebra printer', async () => {
    const reply = await get(`/api/lots/${lotNumber}/labels?kind=containers&format=zpl`);
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(reply.text.match(/\^XA/g)?.length, 2);
    assert.ok(reply.text.includes(lotNumber));
    assert.match(reply.text, /RELEASED/);
  });

  it('F2 prints equipment as it stands: clean, then dirty after a status is set', async () => {
    const [clean] = await pagesOf((await get('/api/equipment/MX-01/label')).bytes);
    assert.match(clean!, /CLEAN/);
    assert.ok(clean!.includes('MX-01'));
    const set = await api.request('POST', '/api/equipment/MX-01/events', {
      token: quinn,
      body: { type: 'status_set', status: 'dirty', reason: 'Spill during set-up' },
    });
    assert.equal(set.status, 201, set.text);
    const [dirty] = await pagesOf((await get('/api/equipment/MX-01/label?size=A7')).bytes);
    assert.match(dirty!, /DIRTY/);
    assert.doesNotMatch(dirty!, /\bCLEAN\b/);
  });

  it('refuses what it cannot print: an unknown lot or equipment (404), a size, kind or format it does not know (400)', async () => {
    assertProblem(await get('/api/lots/PCM-00-9999/labels'), 404, 'not-found');
    assertProblem(await get('/api/equipment/XX-99/label'), 404, 'not-found');
    expectInput(await get(`/api/lots/${lotNumber}/labels?size=A4`), '/size', 'enum');
    expectInput(await get(`/api/lots/${lotNumber}/labels?kind=pallet`), '/kind', 'enum');
    expectInput(await get('/api/equipment/MX-01/label?format=png'), '/format', 'enum');
  });
});
