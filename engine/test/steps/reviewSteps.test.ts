import assert from 'node:assert/strict';
import { InputError, type Principal } from '../../src/index.ts';
import { contentHash } from '../../src/kernel/canonicalJson.ts';
import { packageFiles, type TemplatePackage } from '../../src/templates/package.ts';
import { taskSignedContent } from '../../src/steps/taskValues.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';
import { fixturePackage } from '../templates/fixturePackage.ts';

/** A deviation whose report QA reviews beside its form, then signs its audit trail as reviewed. */
const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
  <process id="deviation" name="Deviation" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="report" />
    <userTask id="report" name="Report the deviation" attest:formKey="report" attest:candidateRoles="operator" />
    <sequenceFlow id="f2" sourceRef="report" targetRef="triage" />
    <userTask id="triage" name="QA triage" attest:formKey="closure" attest:candidateRoles="qa" attest:signatureMeaning="Reviewed" attest:reviewOf="record" />
    <sequenceFlow id="f3" sourceRef="triage" targetRef="auditReview" />
    <userTask id="auditReview" name="Review the audit trail" attest:candidateRoles="qa" attest:signatureMeaning="Reviewed" attest:reviewOf="auditTrail" />
    <sequenceFlow id="f4" sourceRef="auditReview" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>
`;

function reviewed(): TemplatePackage {
  const pkg = fixturePackage();
  return {
    ...pkg,
    manifest: { ...pkg.manifest, roles: ['operator', 'qa'], qualifications: {} },
    process: PROCESS,
  };
}

describe('Feature: review steps show what they sign', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    const petra = await loginAs(ctx.engine, 'petra');
    const { templates } = ctx.engine;
    await templates.import(quinn, { files: packageFiles(reviewed()) });
    await templates.submit(quinn, 'deviation', '1.0.0');
    await templates.approve(petra, 'deviation', '1.0.0', { password: demoPassword('petra') });
    await templates.makeEffective(quinn, 'deviation', '1.0.0');
  });
  after(() => ctx.close());

  const openTask = async (instanceId: string, elementId: string, who = quinn) =>
    (await ctx.engine.tasks.list(who, { instanceId })).find((t) => t.elementId === elementId)!.id;

  it('Scenario: a model naming an unknown review is refused at deployment with the values allowed', async () => {
    const error = await ctx.engine.processes
      .deploy(quinn, PROCESS.replace('attest:reviewOf="auditTrail"', 'attest:reviewOf="trail"'))
      .then(
        () => assert.fail('deployed'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof InputError);
    assert.match(error.message, /attest:reviewOf "trail" is not one of record, auditTrail/);
  });

  it('C6: the audit-trail review is a step with its own signature, bound to the record and the trail it reviewed', async () => {
    const record = await ctx.engine.records.start(olivia, {
      template: 'deviation',
      title: 'Fridge too warm',
    });
    const instanceId = record.instanceId!;
    const report = await openTask(instanceId, 'report', olivia);
    await ctx.engine.tasks.saveValues(olivia, report, { data: { title: 'Fridge', temperature: 6.5 } });
    await ctx.engine.tasks.complete(olivia, report, {
      data: { title: 'Fridge', temperature: 7.0 },
      reason: 'Read again from the logger',
    });

    // The triage shows the record under review beside its form: the report's values
    const triage = await openTask(instanceId, 'triage');
    assert.equal((await ctx.engine.tasks.get(quinn, triage)).reviewOf, 'record');
    const underReview = await ctx.engine.tasks.review(quinn, triage);
    assert.equal(underReview.reviewOf, 'record');
    assert.equal(underReview.dossier.record.id, record.id);
    const temperature = underReview.dossier.steps
      .find((s) => s.elementId === 'report')!
      .values.find((v) => v.pointer === '/temperature')!;
    assert.equal(temperature.value, 7);
    assert.equal(temperature.changeReason, 'Read again from the logger');
    await ctx.engine.tasks.complete(quinn, triage, {
      data: { closed: true },
      signature: { password: demoPassword('quinn') },
    });

    // The audit-trail review: the trail as the step shows it, then signed Reviewed
    const auditReview = await openTask(instanceId, 'auditReview');
    assert.equal((await ctx.engine.tasks.get(quinn, auditReview)).reviewOf, 'auditTrail');
    const { dossier } = await ctx.engine.tasks.review(quinn, auditReview);
    const shown = dossier.audit;
    assert.ok(
      shown.some((e) => e.type === 'form.values_corrected' && e.reason === 'Read again from the logger'),
    );
    await ctx.engine.tasks.complete(quinn, auditReview, { signature: { password: demoPassword('quinn') } });

    const signatures = await ctx.engine.signatures.list(quinn, record.id);
    const signed = signatures.filter((s) => s.covers?.taskId === auditReview);
    assert.equal(signed.length, 1, 'the review has a signature of its own');
    assert.equal(signed[0]!.meaning, 'Reviewed');
    assert.equal(signed[0]!.signerId, quinn.userId);
    const row = await ctx.asOwner((db) => db('signatures').where({ id: signed[0]!.id }).first());
    const extent = {
      recordId: record.id,
      events: shown.length,
      lastEventId: Math.max(...shown.map((e) => e.id)),
    };
    assert.deepEqual(row.reviewed, extent, 'the signature names the record and the trail reviewed');
    assert.equal(
      row.content_hash,
      contentHash(await taskSignedContent(ctx.engine.database.knex, auditReview, [], extent)),
    );
    const trail = await ctx.engine.audit.trail(quinn, { recordId: record.id });
    const event = trail.find(
      (e) => e.type === 'signature.applied' && e.payload.signatureId === signed[0]!.id,
    )!;
    assert.deepEqual(event.payload.reviewed, extent, 'the audit trail says what was reviewed');
    // Events written after the review (its own completion, the record closing) leave it intact
    assert.ok(trail.length > shown.length);
    assert.equal(signed[0]!.contentChanged, false);
    // The extent reviewed is the event's: a row changed to claim another is found by verify (C3)
    assert.equal((await ctx.engine.verify()).ok, true);
    await ctx.asOwner((db) =>
      db('signatures')
        .where({ id: signed[0]!.id })
        .update({ reviewed: JSON.stringify({ ...extent, events: extent.events + 5 }) }),
    );
    const verified = await ctx.engine.verify();
    assert.ok(
      verified.mismatches.some((m) => m.table === 'signatures' && /reviewed differs/.test(m.problem)),
    );
    // A step that reviews nothing has nothing to show
    await assert.rejects(ctx.engine.tasks.review(quinn, report), /reviews no record/);
  });
});
