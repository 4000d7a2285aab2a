import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  attestEntries,
  type Bo,
  type EntrySpec,
  type Sources,
  type Writer,
} from '../../../../src/modeler/features/attest-properties/attestEntries.ts';
import { parse } from '../../support/bpmn.ts';

const FIXTURE = new URL('./gmp.bpmn', import.meta.url);

const SOURCES: Sources = {
  forms: () => [
    { key: 'deviation-report', version: 3, title: 'Deviation report' },
    { key: 'deviation-triage', version: 1, title: 'Triage' },
  ],
  templates: () => [{ id: 'capa', title: 'CAPA' }],
  roles: () => ['operator', 'qa', 'qa-head'],
};

const USER_TASK = [
  'attest-formKey',
  'attest-candidateRoles',
  'attest-qualifications',
  'attest-signatureMeaning',
  'attest-rejectWhen',
  'attest-reviewOf',
  'attest-separateFrom',
  'attest-assignee',
  'attest-secondPersonVerification',
  'attest-outOfOrder',
  'attest-dueDate',
];

/** A writer that records what an entry would change. */
function recorder() {
  const changes: unknown[][] = [];
  const writer: Writer = {
    element: (properties) => changes.push(['element', properties]),
    moddle: (target, properties) => changes.push(['moddle', target.$type, properties]),
    create: (type, properties) => ({ $type: type, ...properties }) as unknown as Bo,
  };
  return { changes, writer };
}

describe('Feature: the "Attest (GMP)" group shows what the engine reads of each element', () => {
  let byId: Record<string, Bo>;
  const entry = (id: string, entryId: string): EntrySpec => {
    const found = attestEntries(byId[id]!).find((e) => e.id === entryId);
    assert.ok(found, `${id} has no ${entryId}`);
    return found;
  };

  before(async () => {
    byId = (await parse(await readFile(FIXTURE, 'utf8'))).elementsById as unknown as Record<string, Bo>;
  });

  it('Scenario: each element shows the entries of its kind, and only those', () => {
    const shown = (id: string) => attestEntries(byId[id]!).map((e) => e.id);
    assert.deepEqual(shown('report'), USER_TASK);
    assert.deepEqual(shown('approve'), [...USER_TASK, 'attest-collection', 'attest-elementVariable']);
    assert.deepEqual(shown('majorFlow'), ['attest-condition']);
    assert.deepEqual(shown('newFlow'), ['attest-condition']);
    assert.deepEqual(shown('overdue'), ['attest-timerType', 'attest-timerValue']);
    assert.deepEqual(shown('raiseCapa'), ['attest-calledElement']);
    assert.deepEqual(shown('post'), ['attest-handler']);
    assert.deepEqual(shown('net'), ['attest-script', 'attest-resultVariable']);
    assert.deepEqual(shown('waitSample'), ['attest-correlationKey']);
    assert.deepEqual(shown('receive'), ['attest-correlationKey']);
    for (const none of ['minorFlow', 'splitFlow', 'taskFlow', 'major', 'split', 'notify', 'start', 'end']) {
      assert.deepEqual(shown(none), [], none);
    }
  });

  it('Scenario: a user task shows its form with version, roles and GMP attributes as the file has them', () => {
    const report = byId['report']!;
    const form = entry('report', 'attest-formKey');
    assert.equal(form.kind === 'select' && form.get(report), 'deviation-report');
    assert.deepEqual(form.kind === 'select' && form.options(report, SOURCES), [
      { value: '', label: '(no form)' },
      { value: 'deviation-report', label: 'Deviation report — deviation-report v3' },
      { value: 'deviation-triage', label: 'Triage — deviation-triage v1' },
    ]);
    const roles = entry('report', 'attest-candidateRoles');
    assert.deepEqual(roles.kind === 'choices' && roles.get(report), ['operator', 'qa']);
    const due = entry('report', 'attest-dueDate');
    assert.equal(due.kind === 'text' && due.get(report), 'duration("P1D")');
    const meaning = entry('report', 'attest-signatureMeaning');
    assert.equal(meaning.kind === 'select' && meaning.get(report), 'Performed');
    const verification = entry('report', 'attest-secondPersonVerification');
    assert.equal(verification.kind === 'checkbox' && verification.get(report), false);
  });

  it('Scenario: a user task may be allowed ahead of the flow, and writes attest:outOfOrder (F1)', () => {
    const ahead = entry('report', 'attest-outOfOrder');
    assert.ok(ahead.kind === 'checkbox');
    assert.equal(ahead.get(byId['report']!), false);
    const { changes, writer } = recorder();
    ahead.set(true, byId['report']!, writer);
    ahead.set(false, byId['report']!, writer);
    assert.deepEqual(changes, [
      ['element', { 'attest:outOfOrder': true }],
      ['element', { 'attest:outOfOrder': undefined }],
    ]);
  });

  it('Scenario: a user task offers what it shows for review, and writes attest:reviewOf', () => {
    const review = entry('report', 'attest-reviewOf');
    assert.ok(review.kind === 'select');
    assert.deepEqual(
      review.options(byId['report']!, SOURCES).map((o) => o.value),
      ['', 'record', 'auditTrail'],
    );
    assert.equal(review.get(byId['report']!), '');
    const { changes, writer } = recorder();
    review.set('auditTrail', byId['report']!, writer);
    review.set('', byId['report']!, writer);
    assert.deepEqual(changes, [
      ['element', { 'attest:reviewOf': 'auditTrail' }],
      ['element', { 'attest:reviewOf': undefined }],
    ]);
  });

  it('Scenario: a value the template does not offer is still shown, so nothing is lost by looking', () => {
    const triage = byId['triage']!;
    const form = entry('triage', 'attest-formKey');
    assert.deepEqual(form.kind === 'select' && form.options(triage, SOURCES).at(-1), {
      value: 'retired-form',
      label: 'retired-form (not in this template)',
    });
    const roles = entry('triage', 'attest-candidateRoles');
    assert.deepEqual(roles.kind === 'choices' && roles.options(triage, SOURCES).map((o) => o.value), [
      'operator',
      'qa',
      'qa-head',
      'auditor',
    ]);
  });

  it('Scenario: separation of duties offers the initiator and the other user tasks of the process', () => {
    const triage = byId['triage']!;
    const separate = entry('triage', 'attest-separateFrom');
    assert.ok(separate.kind === 'choices');
    assert.deepEqual(separate.get(triage), ['report', 'initiator']);
    assert.deepEqual(separate.options(triage, SOURCES), [
      { value: 'initiator', label: 'Whoever started the record' },
      { value: 'report', label: 'Report the deviation (report)' },
      { value: 'approve', label: 'QA approval (approve)' },
    ]);
    const { changes, writer } = recorder();
    separate.set(['report'], triage, writer);
    separate.set([], triage, writer);
    assert.deepEqual(changes, [
      ['element', { 'attest:separateFrom': 'report' }],
      ['element', { 'attest:separateFrom': undefined }],
    ]);
  });

  it('Scenario: a gateway condition is checked as FEEL and written as a formal expression', () => {
    const condition = entry('majorFlow', 'attest-condition');
    assert.ok(condition.kind === 'text');
    assert.equal(condition.get(byId['majorFlow']!), 'classification = "major"');
    assert.equal(condition.validate?.('classification = "major"'), null);
    assert.equal(condition.validate?.('classification ='), 'Not valid FEEL: the expression ends too early');
    const { changes, writer } = recorder();
    condition.set('classification = "critical"', byId['majorFlow']!, writer);
    condition.set('approved', byId['newFlow']!, writer);
    condition.set(' ', byId['majorFlow']!, writer);
    assert.deepEqual(changes, [
      ['moddle', 'bpmn:FormalExpression', { body: 'classification = "critical"' }],
      ['element', { conditionExpression: { $type: 'bpmn:FormalExpression', body: 'approved' } }],
      ['element', { conditionExpression: undefined }],
    ]);
  });

  it('Scenario: a timer keeps its text when it changes from a duration to a cycle', () => {
    const overdue = byId['overdue']!;
    const type = entry('overdue', 'attest-timerType');
    const value = entry('overdue', 'attest-timerValue');
    assert.ok(type.kind === 'select' && value.kind === 'text');
    assert.equal(type.get(overdue), 'timeDuration');
    assert.equal(value.get(overdue), 'P2D');
    assert.equal(value.validate?.('P2D'), null);
    assert.match(value.validate?.('= duration(') ?? '', /^Not valid FEEL/);
    const { changes, writer } = recorder();
    type.set('timeCycle', overdue, writer);
    assert.deepEqual(changes, [
      [
        'moddle',
        'bpmn:TimerEventDefinition',
        {
          timeDuration: undefined,
          timeDate: undefined,
          timeCycle: { $type: 'bpmn:FormalExpression', body: 'P2D' },
        },
      ],
    ]);
  });

  it('Scenario: a call activity picks its template; a script is FEEL; a message has its correlation key', () => {
    const called = entry('raiseCapa', 'attest-calledElement');
    assert.ok(called.kind === 'select');
    assert.equal(called.get(byId['raiseCapa']!), 'capa');
    assert.deepEqual(called.options(byId['raiseCapa']!, SOURCES)[1], { value: 'capa', label: 'CAPA (capa)' });
    const key = entry('receive', 'attest-correlationKey');
    const script = entry('net', 'attest-script');
    assert.ok(key.kind === 'text' && script.kind === 'textarea');
    assert.equal(key.get(byId['receive']!), 'batchNumber');
    const { changes, writer } = recorder();
    script.set('gross - tare - 0.5', byId['net']!, writer);
    key.set('lot', byId['waitSample']!, writer);
    assert.deepEqual(changes, [
      ['element', { script: 'gross - tare - 0.5', scriptFormat: 'feel' }],
      ['moddle', 'bpmn:Message', { 'attest:correlationKey': 'lot' }],
    ]);
  });
});
