import assert from 'node:assert/strict';
import type { GmpRecord, Principal } from '@attest/engine';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';

/** Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('Feature: records, signatures and audit trails over HTTP', () => {
  let api: TestApi;
  let olivia: Principal;
  let oscar: Principal;
  const tokens: Partial<Record<DemoUser, string>> = {};
  const token = (who: DemoUser) => tokens[who]!;

  before(async () => {
    api = await startTestApi();
    olivia = await loginAs(api.ctx.engine, 'olivia');
    oscar = await loginAs(api.ctx.engine, 'oscar');
  });
  beforeEach(async () => {
    for (const who of ['olivia', 'oscar', 'quinn', 'adrian'] as const) tokens[who] = await api.login(who);
  });
  after(() => api.close());

  const newRecord = (by: Principal = olivia): Promise<GmpRecord> =>
    api.ctx.engine.records.create(by, {
      kind: 'batch',
      title: 'Granulation, "lot 7", line 2',
      content: { temperature: 60 },
    });
  const signatures = async (recordId: string) => api.ctx.engine.signatures.list(olivia, recordId);
  const sign = (who: DemoUser, recordId: string, body: Record<string, unknown>) =>
    api.request('POST', `/api/records/${recordId}/signatures`, {
      token: token(who),
      body: { password: demoPassword(who), ...body },
    });

  it('reads a record, by id or by number, with its links, tasks and process (none without a template)', async () => {
    const record = await newRecord();
    const response = await api.request('GET', `/api/records/${record.id}`, { token: token('quinn') });
    assert.equal(response.status, 200);
    const {
      template,
      instanceId,
      owner,
      dueAt,
      overdue,
      parent,
      raisedFrom,
      children,
      openTasks,
      variables,
      stepsAhead,
      ...own
    } = response.body;
    assert.deepEqual(own, record);
    assert.deepEqual(
      {
        template,
        instanceId,
        owner,
        dueAt,
        overdue,
        parent,
        raisedFrom,
        children,
        openTasks,
        variables,
        stepsAhead,
      },
      {
        template: null,
        instanceId: null,
        owner: null,
        dueAt: null,
        overdue: false,
        parent: null,
        raisedFrom: null,
        children: [],
        openTasks: [],
        variables: {},
        stepsAhead: [],
      },
    );
    const byNumber = await api.request('GET', `/api/records/${record.number}`, { token: token('quinn') });
    assert.deepEqual(byNumber.body, response.body);
  });

  it('answers 404 for a record that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-00000000beef';
    for (const path of [
      `/api/records/${missing}`,
      `/api/records/${missing}/audit`,
      `/api/records/${missing}/signatures`,
    ]) {
      assertProblem(await api.request('GET', path, { token: token('quinn') }), 404, 'not-found');
    }
    assertProblem(await sign('olivia', missing, { meaning: 'Performed' }), 404, 'not-found');
  });

  it('B2: returns the manifestation of a signature: printed name, user id, date and time with zone, meaning', async () => {
    const record = await newRecord();
    const response = await sign('olivia', record.id, { meaning: 'Performed' });
    assert.equal(response.status, 201, response.text);
    const { manifestation, signedAt, contentChanged } = response.body;
    assert.deepEqual(
      [manifestation.printedName, manifestation.userId, manifestation.meaning, manifestation.signedAt],
      ['Olivia Ortega', 'olivia', 'Performed', signedAt],
    );
    assert.match(
      manifestation.text,
      /^Performed by Olivia Ortega \(olivia\) on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    assert.equal(contentChanged, false);
    const listed = await api.request('GET', `/api/records/${record.id}/signatures`, {
      token: token('quinn'),
    });
    assert.deepEqual(listed.body.signatures, [response.body]);
  });

  it('B1: a wrong password signs nothing (401)', async () => {
    const record = await newRecord();
    const response = await api.request('POST', `/api/records/${record.id}/signatures`, {
      token: token('quinn'),
      body: { meaning: 'Reviewed', password: 'not-my-password' },
    });
    assertProblem(response, 401, 'unauthenticated');
    assert.deepEqual(await signatures(record.id), []);
  });

  it('B3: a rejection needs a reason', async () => {
    const record = await newRecord();
    const response = await sign('quinn', record.id, { meaning: 'Rejected' });
    assert.equal(assertProblem(response, 400, 'input').errors![0]!.pointer, '/reason');
    const rejected = await sign('quinn', record.id, {
      meaning: 'Rejected',
      reason: 'Temperature out of range',
    });
    assert.equal(rejected.body.reason, 'Temperature out of range');
  });

  it('B5: the verifier must be another person than the performer', async () => {
    const record = await newRecord();
    assert.equal((await sign('olivia', record.id, { meaning: 'Performed' })).status, 201);
    assertProblem(await sign('olivia', record.id, { meaning: 'Verified' }), 403, 'not-allowed');
    assert.equal((await sign('oscar', record.id, { meaning: 'Verified' })).status, 201);
  });

  it('A2: signing needs the authority for the meaning', async () => {
    const record = await newRecord();
    assertProblem(await sign('olivia', record.id, { meaning: 'Released' }), 403, 'not-allowed');
    assertProblem(await sign('adrian', record.id, { meaning: 'Performed' }), 403, 'not-allowed');
    assert.deepEqual(await signatures(record.id), []);
  });

  it('B4: a change after signing is flagged against the signature', async () => {
    const record = await newRecord();
    await sign('olivia', record.id, { meaning: 'Performed' });
    await api.ctx.engine.records.update(oscar, record.id, {
      version: record.version,
      changes: [{ path: '/temperature', value: 61 }],
      reason: 'Transcription error',
    });
    const listed = await api.request('GET', `/api/records/${record.id}/signatures`, {
      token: token('quinn'),
    });
    assert.equal(listed.body.signatures[0].contentChanged, true);
  });

  it('B7: withdrawing one’s own signature is a new signed event; the signature stays', async () => {
    const record = await newRecord();
    const signature = (await sign('olivia', record.id, { meaning: 'Performed' })).body;
    const byOther = await api.request('POST', `/api/signatures/${signature.id}/withdraw`, {
      token: token('oscar'),
      body: { password: demoPassword('oscar'), reason: 'Mine now' },
    });
    assertProblem(byOther, 403, 'not-allowed');
    const withdrawn = await api.request('POST', `/api/signatures/${signature.id}/withdraw`, {
      token: token('olivia'),
      body: { password: demoPassword('olivia'), reason: 'Signed the wrong step' },
    });
    assert.equal(withdrawn.status, 200, withdrawn.text);
    assert.equal(withdrawn.body.withdrawn.reason, 'Signed the wrong step');
    assert.equal((await signatures(record.id)).length, 1);
    const trail = await api.request('GET', `/api/records/${record.id}/audit`, { token: token('quinn') });
    assert.equal(trail.body.events.at(-1).type, 'signature.withdrawn');
    const unknown = await api.request(
      'POST',
      '/api/signatures/00000000-0000-4000-8000-00000000cafe/withdraw',
      {
        token: token('olivia'),
        body: { password: demoPassword('olivia'), reason: 'Nothing' },
      },
    );
    assertProblem(unknown, 404, 'not-found');
  });

  describe('audit trails', () => {
    let record: GmpRecord;
    let middle: string;

    before(async () => {
      record = await newRecord();
      api.ctx.clock.advance(1);
      middle = api.ctx.clock.now().toISOString();
      api.ctx.clock.advance(1);
      const updated = await api.ctx.engine.records.update(oscar, record.id, {
        version: record.version,
        changes: [
          { path: '/dispensing/weight', value: 12.5 },
          { path: '/comment', value: '=HYPERLINK("http://example.com")' },
        ],
      });
      await api.ctx.engine.records.update(olivia, record.id, {
        version: updated.version,
        changes: [{ path: '/temperature', value: 58 }],
        reason: 'Probe recalibrated, "reading" corrected,\nsee deviation',
      });
    });

    const trail = async (query: string) => {
      const response = await api.request('GET', `/api/records/${record.id}/audit${query}`, {
        token: token('quinn'),
      });
      assert.equal(response.status, 200, response.text);
      return response;
    };

    it('C1: returns who, when, what field, old and new value, and why', async () => {
      const events = (await trail('')).body.events;
      assert.deepEqual(
        events.map((e: { type: string }) => e.type),
        ['record.created', 'record.updated', 'record.updated'],
      );
      const last = events[2];
      assert.deepEqual([last.actorId, last.actorName], [olivia.userId, 'Olivia Ortega']);
      assert.deepEqual(last.payload.changes, [{ path: '/temperature', old: 60, new: 58 }]);
      assert.match(last.at, /Z$/);
    });

    it('C5: filters the audit trail of a record by user, time and field', async () => {
      const byOscar = (await trail(`?actor=${oscar.userId}`)).body.events;
      assert.deepEqual(
        byOscar.map((e: { actorName: string }) => e.actorName),
        ['Oscar Osei'],
      );
      const since = (await trail(`?from=${encodeURIComponent(middle)}`)).body.events;
      assert.equal(since.length, 2);
      const before = (await trail(`?to=${encodeURIComponent(middle)}`)).body.events;
      assert.deepEqual(
        before.map((e: { type: string }) => e.type),
        ['record.created'],
      );
      const field = (await trail('?field=/dispensing')).body.events;
      assert.deepEqual(
        field.map((e: { actorName: string }) => e.actorName),
        ['Oscar Osei'],
      );
      assert.deepEqual((await trail('?field=/nothing/here&format=json')).body.events, []);
    });

    it('C5: exports the audit trail of a record as CSV', async () => {
      const response = await trail('?format=csv');
      assert.match(response.headers.get('content-type')!, /^text\/csv; charset=utf-8/);
      assert.equal(
        response.headers.get('content-disposition'),
        `attachment; filename="audit-trail-${record.id}.csv"`,
      );
      assert.ok(response.text.endsWith('\r\n'));
      const [header, ...rows] = parseCsv(response.text);
      assert.deepEqual(header, [
        'recordId',
        'seq',
        'at',
        'type',
        'actorId',
        'actorName',
        'field',
        'oldValue',
        'newValue',
        'reason',
        'details',
        'hash',
      ]);
      assert.equal(rows.length, 4);
      assert.ok(rows.every((row) => row.length === header!.length));
      const column = (name: string) => header!.indexOf(name);
      const [created, weight, comment, temperature] = rows as string[][];
      assert.equal(created![column('type')], 'record.created');
      assert.match(created![column('details')]!, /"title":"Granulation, \\"lot 7\\", line 2"/);
      assert.deepEqual(
        [weight![column('field')], weight![column('oldValue')], weight![column('newValue')]],
        ['/dispensing/weight', '', '12.5'],
      );
      assert.equal(comment![column('newValue')], `'=HYPERLINK("http://example.com")`);
      assert.deepEqual(
        [
          temperature![column('actorName')],
          temperature![column('oldValue')],
          temperature![column('newValue')],
        ],
        ['Olivia Ortega', '60', '58'],
      );
      assert.equal(temperature![column('reason')], 'Probe recalibrated, "reading" corrected,\nsee deviation');
    });

    it('C5: the CSV export takes the same filters', async () => {
      const rows = parseCsv((await trail(`?format=csv&actor=${olivia.userId}&field=/temperature`)).text);
      assert.equal(rows.length, 2);
      assert.equal(rows[1]![6], '/temperature');
    });
  });
});
