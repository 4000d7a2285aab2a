import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';
import { TEMPLATE_ID, testForm, testManifest, testPackage, testProcess } from './support/templatePackage.ts';

describe('Feature: template packages, their lifecycle and the records started from them over HTTP', () => {
  let api: TestApi;
  const tokens: Partial<Record<DemoUser, string>> = {};
  const as = (who: DemoUser) => ({ token: tokens[who]! });
  const loginAll = async () => {
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  };
  const versionPath = (version: string, action = '') =>
    `/api/templates/${TEMPLATE_ID}/versions/${version}${action}`;
  const importFiles = (who: DemoUser, files: Record<string, string>) =>
    api.request('POST', '/api/templates', { ...as(who), body: { files } });
  const submit = (version: string) => api.request('POST', versionPath(version, '/submit'), as('quinn'));
  const approve = (version: string, who: DemoUser = 'petra', password = demoPassword(who)) =>
    api.request('POST', versionPath(version, '/approve'), { ...as(who), body: { password } });
  const record = (idOrNumber: string) =>
    api.request('GET', `/api/records/${encodeURIComponent(idOrNumber)}`, as('quinn'));

  /** Submits, approves (petra) and makes effective (quinn) a version; returns the effective version. */
  async function release(version: string) {
    assert.equal((await submit(version)).status, 200);
    const approved = await approve(version);
    assert.equal(approved.status, 200, approved.text);
    const effective = await api.request('POST', versionPath(version, '/effective'), as('quinn'));
    assert.equal(effective.status, 200, effective.text);
    return effective.body;
  }

  const startRecord = async (title: string, variables: Record<string, unknown> = {}) => {
    const started = await api.request('POST', '/api/records', {
      ...as('olivia'),
      body: { template: TEMPLATE_ID, title, variables },
    });
    assert.equal(started.status, 201, started.text);
    return started;
  };

  /** The one open task of a record, completed by a person with the body given. */
  const completeOpenTask = async (recordId: string, who: DemoUser, body: Record<string, unknown>) => {
    const task = (await record(recordId)).body.openTasks[0].id as string;
    return api.request('POST', `/api/tasks/${task}/complete`, { ...as(who), body });
  };

  let firstRecord: { id: string; number: string };

  before(async () => {
    api = await startTestApi();
    await loginAll();
  });
  after(() => api.close());

  describe('import', () => {
    it('imports a package as a draft (201), and the same content again changes nothing (200)', async () => {
      const imported = await importFiles('quinn', testPackage());
      assert.equal(imported.status, 201, imported.text);
      assert.equal(imported.headers.get('location'), versionPath('1.0.0'));
      assert.deepEqual(
        [imported.body.templateId, imported.body.version, imported.body.status, imported.body.created],
        [TEMPLATE_ID, '1.0.0', 'draft', true],
      );
      assert.deepEqual(imported.body.forms, ['report']);
      assert.match(imported.body.contentHash, /^[0-9a-f]{64}$/);

      const again = await importFiles('quinn', testPackage());
      assert.equal(again.status, 200);
      assert.deepEqual(
        [again.body.id, again.body.contentHash, again.body.created, again.body.revised],
        [imported.body.id, imported.body.contentHash, false, false],
      );
      const read = await api.request('GET', versionPath('1.0.0'), as('olivia'));
      assert.equal(read.body.id, imported.body.id);
      const listed = await api.request('GET', `/api/templates?templateId=${TEMPLATE_ID}`, as('olivia'));
      assert.deepEqual(
        listed.body.templates.map((t: { version: string }) => t.version),
        ['1.0.0'],
      );
    });

    it('revises a draft imported again with other content (200, revised)', async () => {
      const revised = await importFiles('quinn', testPackage('1.0.0', { readme: '# Changed\n' }));
      assert.deepEqual([revised.status, revised.body.revised, revised.body.status], [200, true, 'draft']);
      const back = await importFiles('quinn', testPackage());
      assert.deepEqual([back.status, back.body.revised], [200, true]);
    });

    it('refuses an invalid manifest with the engine’s errors, pointing into the manifest', async () => {
      const manifest = testManifest('1.0.0', { numbering: 'tst-{seq}', retention: 'ten years' });
      const response = await importFiles('quinn', testPackage('1.0.0', { manifest }));
      const problem = assertProblem(response, 400, 'input');
      assert.deepEqual(problem.errors!.map((e) => e.pointer).sort(), [
        '/manifest/numbering',
        '/manifest/retention',
      ]);
      assert.match(problem.detail, /numbering/);
    });

    it('refuses a process with a JavaScript script or a form that is not in the package', async () => {
      const script = await importFiles(
        'quinn',
        testPackage('1.0.1', { process: testProcess({ script: 'x = 1' }) }),
      );
      const scripted = assertProblem(script, 400, 'input');
      assert.equal(scripted.errors![0]!.pointer, '/process/elements/compute');
      assert.match(scripted.errors![0]!.message, /javascript are not supported/);

      const missing = await importFiles(
        'quinn',
        testPackage('1.0.1', { process: testProcess({ formKey: 'nowhere' }) }),
      );
      const unknown = assertProblem(missing, 400, 'input');
      assert.deepEqual(unknown.errors, [
        {
          pointer: '/process/elements/report',
          keyword: 'reference',
          message: 'report uses the form "nowhere", which is not in the package\'s forms folder',
        },
      ]);
    });

    it('refuses a body with neither or both forms of a package, an archive that is none, and an operator', async () => {
      assertProblem(await api.request('POST', '/api/templates', { ...as('quinn'), body: {} }), 400, 'input');
      const both = await api.request('POST', '/api/templates', {
        ...as('quinn'),
        body: { tgz: 'AAAA', files: testPackage() },
      });
      assertProblem(both, 400, 'input');
      const garbage = await api.request('POST', '/api/templates', {
        ...as('quinn'),
        body: { tgz: Buffer.from('not an archive').toString('base64') },
      });
      assert.match(assertProblem(garbage, 400, 'input').detail, /archive cannot be read/);
      assertProblem(await importFiles('olivia', testPackage()), 403, 'not-allowed');
      const listed = await api.request('GET', '/api/templates', as('quinn'));
      assert.equal(listed.body.templates.length, 1);
    });
  });

  describe('lifecycle', () => {
    it('B5: the author of a version may not approve it', async () => {
      const submitted = await submit('1.0.0');
      assert.deepEqual([submitted.status, submitted.body.status], [200, 'in_review']);
      assertProblem(await approve('1.0.0', 'quinn'), 403, 'not-allowed');
      assert.equal((await api.request('GET', versionPath('1.0.0'), as('quinn'))).body.status, 'in_review');
    });

    it('B1: an approval with a wrong password is refused and signs nothing', async () => {
      assertProblem(await approve('1.0.0', 'petra', 'not-her-password'), 401, 'unauthenticated');
      assertProblem(await approve('1.0.0', 'olivia'), 403, 'not-allowed');
      assert.equal((await api.request('GET', versionPath('1.0.0'), as('quinn'))).body.status, 'in_review');
    });

    it('D1: an approved version is made effective; its history shows every step', async () => {
      const approved = await approve('1.0.0');
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.status, 'approved');
      const petra = await api.request('GET', '/api/auth/me', as('petra'));
      assert.equal(approved.body.approvedBy, petra.body.user.id);
      assert.ok(approved.body.approvedAt);
      assertProblem(await approve('1.0.0'), 409, 'conflict');
      const effective = await api.request('POST', versionPath('1.0.0', '/effective'), as('quinn'));
      assert.equal(effective.status, 200, effective.text);
      assert.equal(effective.body.status, 'effective');
      assert.ok(effective.body.definitionId);
      const history = await api.request('GET', versionPath('1.0.0', '/history'), as('olivia'));
      const steps = history.body.events
        .map((e: { type: string }) => e.type)
        .filter((t: string) => t.startsWith('template.'));
      assert.deepEqual(steps, [
        'template.imported',
        'template.revised',
        'template.revised',
        'template.submitted',
        'template.approved',
        'template.made_effective',
      ]);
      const listed = await api.request('GET', '/api/templates?status=effective', as('olivia'));
      assert.deepEqual(
        listed.body.templates.map((t: { version: string }) => t.version),
        ['1.0.0'],
      );
    });

    it('D2: a record starts from the effective version, numbered by its template, found by id or number', async () => {
      const started = await startRecord('Spill in room 4', { affectedBatches: ['B-7'] });
      const body = started.body;
      assert.match(body.number, /^TST-\d{4}-0001$/);
      assert.equal(started.headers.get('location'), `/api/records/${body.id}`);
      assert.deepEqual(
        [body.kind, body.status, body.template.id, body.template.version, body.owner.username],
        ['deviation', 'open', TEMPLATE_ID, '1.0.0', 'olivia'],
      );
      assert.deepEqual(
        body.openTasks.map((t: { elementId: string; candidateRoles: string[] }) => [
          t.elementId,
          t.candidateRoles,
        ]),
        [['report', ['operator']]],
      );
      assert.equal(body.variables.classification, 'minor');
      assert.ok(body.dueAt);
      assert.equal(body.overdue, false);
      assert.deepEqual([body.content, body.version], [{}, 1]);
      firstRecord = { id: body.id, number: body.number };
      const byNumber = await record(body.number);
      assert.equal(byNumber.status, 200);
      assert.equal(byNumber.body.id, body.id);

      const deviations = await api.request('GET', '/api/batches/B-7/deviations', as('petra'));
      assert.deepEqual(
        [deviations.body.batch, deviations.body.openDeviations.map((d: { number: string }) => d.number)],
        ['B-7', [body.number]],
      );
      assert.deepEqual(
        [deviations.body.openDeviations[0].classification, deviations.body.criticalOpen],
        ['minor', false],
      );
      const none = await api.request('GET', '/api/batches/B-8/deviations', as('petra'));
      assert.deepEqual(none.body.openDeviations, []);
    });

    it('D2: a second version supersedes the first; a running record stays on 1.0.0 and finishes on it', async () => {
      const changed = testPackage('1.1.0', { form: testForm('Room temperature') });
      assert.equal((await importFiles('quinn', changed)).status, 201);
      const effective = await release('1.1.0');
      assert.equal(effective.status, 'effective');
      assert.equal((await api.request('GET', versionPath('1.0.0'), as('olivia'))).body.status, 'superseded');

      assert.equal((await record(firstRecord.id)).body.template.version, '1.0.0');
      const reported = await completeOpenTask(firstRecord.id, 'olivia', {
        data: { what: 'Spill', temperature: 21 },
      });
      assert.equal(reported.status, 200, reported.text);
      const review = (await record(firstRecord.id)).body.openTasks[0];
      assert.deepEqual([review.elementId, review.candidateUser], ['review', null]);
      const tasks = await api.request('GET', '/api/tasks', as('quinn'));
      assert.equal(tasks.body.tasks.find((t: { id: string }) => t.id === review.id).candidateUser, null);

      const unsigned = await completeOpenTask(firstRecord.id, 'quinn', {});
      assert.equal(assertProblem(unsigned, 400, 'input').errors![0]!.pointer, '/signature/password');
      const wrong = await completeOpenTask(firstRecord.id, 'quinn', { signature: { password: 'wrong' } });
      assertProblem(wrong, 401, 'unauthenticated');
      const signed = await completeOpenTask(firstRecord.id, 'quinn', {
        signature: { password: demoPassword('quinn') },
      });
      assert.equal(signed.status, 200, signed.text);
      assert.equal(signed.body.status, 'completed');
      const finished = await record(firstRecord.number);
      assert.deepEqual(
        [finished.body.status, finished.body.template.version, finished.body.openTasks],
        ['closed', '1.0.0', []],
      );

      const next = await startRecord('Door left open');
      assert.match(next.body.number, /^TST-\d{4}-0002$/);
      assert.equal(next.body.template.version, '1.1.0');
    });

    it('D3: a released version never changes: importing it with other content is a conflict (409)', async () => {
      const other = await importFiles('quinn', testPackage('1.0.0', { readme: '# Changed after release\n' }));
      assert.match(assertProblem(other, 409, 'conflict').detail, /never changes/);
      const same = await importFiles('quinn', testPackage());
      assert.deepEqual([same.status, same.body.created, same.body.status], [200, false, 'superseded']);
    });

    it('B3: a rejection needs a reason and makes the version a draft again; retiring needs one too', async () => {
      assert.equal((await importFiles('quinn', testPackage('1.2.0'))).status, 201);
      assert.equal((await submit('1.2.0')).status, 200);
      const reject = (body: Record<string, unknown>) =>
        api.request('POST', versionPath('1.2.0', '/reject'), { ...as('petra'), body });
      const unexplained = await reject({ password: demoPassword('petra') });
      assert.equal(assertProblem(unexplained, 400, 'input').errors![0]!.pointer, '/reason');
      const blank = await reject({ password: demoPassword('petra'), reason: '   ' });
      assert.equal(assertProblem(blank, 400, 'input').errors![0]!.pointer, '/reason');
      const rejected = await reject({
        password: demoPassword('petra'),
        reason: 'The review step lacks a form',
      });
      assert.equal(rejected.status, 200, rejected.text);
      assert.equal(rejected.body.status, 'draft');

      const retire = (body: Record<string, unknown>) =>
        api.request('POST', versionPath('1.2.0', '/retire'), { ...as('quinn'), body });
      assert.equal(assertProblem(await retire({}), 400, 'input').errors![0]!.pointer, '/reason');
      const retired = await retire({ reason: 'Superseded by a redesign' });
      assert.equal(retired.status, 200, retired.text);
      assert.equal(retired.body.status, 'retired');
      assertProblem(await submit('1.2.0'), 409, 'conflict');
      assertProblem(await api.request('GET', versionPath('9.9.9'), as('quinn')), 404, 'not-found');
    });

    it('exports a version as a .tgz that imports again unchanged', async () => {
      const exported = await api.request('GET', versionPath('1.0.0', '/export'), as('olivia'));
      assert.equal(exported.status, 200);
      assert.equal(exported.headers.get('content-type'), 'application/gzip');
      assert.equal(exported.headers.get('content-disposition'), 'attachment; filename="tst-1.0.0.tgz"');
      assert.ok(gunzipSync(exported.bytes).includes('tst/v1.0.0/manifest.json'));
      const again = await api.request('POST', '/api/templates', {
        ...as('quinn'),
        body: { tgz: exported.bytes.toString('base64') },
      });
      assert.equal(again.status, 200, again.text);
      const first = await api.request('GET', versionPath('1.0.0'), as('quinn'));
      assert.deepEqual(
        [again.body.version, again.body.created, again.body.revised, again.body.contentHash],
        ['1.0.0', false, false, first.body.contentHash],
      );
    });

    it('G1: the diff of two versions lists the changed form field', async () => {
      const diff = await api.request(
        'GET',
        `/api/templates/${TEMPLATE_ID}/diff?from=1.0.0&to=1.1.0`,
        as('petra'),
      );
      assert.equal(diff.status, 200, diff.text);
      assert.deepEqual([diff.body.from, diff.body.to, diff.body.identical], ['1.0.0', '1.1.0', false]);
      assert.deepEqual(
        diff.body.manifest.map((c: { path: string }) => c.path),
        ['/changeReason', '/version'],
      );
      assert.deepEqual(diff.body.forms.changed, [
        {
          key: 'report',
          fields: {
            added: [],
            removed: [],
            changed: [
              {
                key: 'temperature',
                pointer: '/temperature',
                label: 'Room temperature',
                changes: [{ path: '/label', old: 'Temperature', new: 'Room temperature' }],
              },
            ],
          },
        },
      ]);
      assert.deepEqual(diff.body.process, { added: [], removed: [], changed: [] });
      const missing = await api.request('GET', `/api/templates/${TEMPLATE_ID}/diff?from=1.0.0`, as('petra'));
      assert.equal(assertProblem(missing, 400, 'input').errors![0]!.pointer, '/to');
    });
  });

  describe('finding records', () => {
    it('filters records by template, status, owner and overdue, one page at a time', async () => {
      const find = async (query: string) => {
        const found = await api.request('GET', `/api/records?${query}`, as('quinn'));
        assert.equal(found.status, 200, found.text);
        return found.body as { records: { number: string; status: string }[]; total: number };
      };
      const open = await find(`template=${TEMPLATE_ID}&status=open`);
      assert.deepEqual(
        [open.total, open.records.map((r) => r.number)],
        [1, [firstRecord.number.replace(/0001$/, '0002')]],
      );
      const closed = await find(`template=${TEMPLATE_ID}&status=closed&owner=olivia`);
      assert.deepEqual(
        closed.records.map((r) => r.number),
        [firstRecord.number],
      );
      const page = await find(`template=${TEMPLATE_ID}&limit=1&offset=1`);
      assert.deepEqual([page.total, page.records.map((r) => r.number)], [2, [firstRecord.number]]);
      assert.equal((await find(`q=${firstRecord.number}`)).total, 1);
      assert.equal((await find('overdue=true')).total, 0);

      api.ctx.clock.advance(8 * 24 * 60);
      await loginAll();
      const overdue = await find(`overdue=true&template=${TEMPLATE_ID}`);
      assert.deepEqual(
        overdue.records.map((r) => r.number),
        [firstRecord.number.replace(/0001$/, '0002')],
      );
      const notOverdue = await find(`overdue=false&template=${TEMPLATE_ID}`);
      assert.deepEqual(
        notOverdue.records.map((r) => r.number),
        [firstRecord.number],
      );

      for (const [query, pointer] of [
        ['limit=201', '/limit'],
        ['limit=0', '/limit'],
        ['overdue=yes', '/overdue'],
        ['dueBefore=tomorrow', '/dueBefore'],
        ['parent=TST-1', '/parent'],
      ]) {
        const refused = await api.request('GET', `/api/records?${query}`, as('quinn'));
        assert.equal(assertProblem(refused, 400, 'input').errors![0]!.pointer, pointer, query);
      }
      assertProblem(await record('TST-1999-0001'), 404, 'not-found');
    });

    it('refuses to start a record from an unknown template, without a title, or without an effective version', async () => {
      const unknown = await api.request('POST', '/api/records', {
        ...as('olivia'),
        body: { template: 'nothing', title: 'x' },
      });
      assertProblem(unknown, 404, 'not-found');
      const bad = await api.request('POST', '/api/records', {
        ...as('olivia'),
        body: { template: TEMPLATE_ID, title: '  ' },
      });
      assert.equal(assertProblem(bad, 400, 'input').errors![0]!.pointer, '/title');
      const retired = await api.request('POST', versionPath('1.1.0', '/retire'), {
        ...as('quinn'),
        body: { reason: 'Withdrawn' },
      });
      assert.equal(retired.status, 200, retired.text);
      const none = await api.request('POST', '/api/records', {
        ...as('olivia'),
        body: { template: TEMPLATE_ID, title: 'After retirement' },
      });
      assert.match(assertProblem(none, 409, 'conflict').detail, /no effective version/);
    });
  });
});
