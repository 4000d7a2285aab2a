import assert from 'node:assert/strict';
import { ConflictError, NotAllowedError, NotFoundError, type Principal } from '../../../src/index.ts';
import { loginAs, type TestContext } from '../../support/testEngine.ts';
import { scenarioEngine, taskAt } from './support.ts';

describe('Feature: message events', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ({ ctx, olivia, quinn } = await scenarioEngine(
      ['olivia', 'quinn'],
      [
        'messages-lab-result.bpmn',
        'messages-receive-coa.bpmn',
        'messages-filling-boundaries.bpmn',
        'messages-complaint-start.bpmn',
        'messages-sample-handover.bpmn',
        'messages-deviation-race.bpmn',
        'messages-batch-ready.bpmn',
      ],
    ));
  });
  after(() => ctx.close());

  const get = (id: string) => ctx.engine.processes.get(quinn, id);
  const open = async (id: string) => (await get(id)).openTasks.map((t) => t.elementId).sort();
  const types = async (id: string) => (await ctx.engine.processes.history(quinn, id)).map((e) => e.type);
  const correlate = (name: string, correlationKey?: string, variables?: Record<string, unknown>) =>
    ctx.engine.processes.messages.correlate(quinn, { name, correlationKey, variables });

  describe('Intermediate message catch event with a correlation key', () => {
    it('Scenario: only the instance whose key matches receives the message, with its variables', async () => {
      // Given two samples waiting for their lab results
      const s1 = await ctx.engine.processes.start(olivia, 'awaitLabResult', {
        variables: { sampleId: 'S-1' },
      });
      const s2 = await ctx.engine.processes.start(olivia, 'awaitLabResult', {
        variables: { sampleId: 'S-2' },
      });
      assert.deepEqual(s1.activeElements, [{ elementId: 'resultIn', waitsFor: 'message' }]);
      const subscribed = (await ctx.engine.processes.history(quinn, s2.id)).find(
        (e) => e.type === 'message.subscribed',
      );
      // The last event of the start also carries the digest of the state it leaves (C3).
      const { state, ...payload } = subscribed!.payload;
      assert.match((state as { variables: string }).variables, /^[0-9a-f]{64}$/);
      assert.deepEqual(payload, {
        elementId: 'resultIn',
        name: 'Lab result',
        correlationKey: 'S-2',
      });
      // When the result of S-2 arrives
      const { instance, started } = await correlate('Lab result', 'S-2', { assay: 99.2, analyst: 'L. Lab' });
      // Then S-2 moves on with the message's variables, and S-1 still waits
      assert.equal(started, false);
      assert.equal(instance.id, s2.id);
      assert.deepEqual(
        instance.openTasks.map((t) => t.elementId),
        ['review'],
      );
      assert.deepEqual(instance.variables, { sampleId: 'S-2', assay: 99.2, analyst: 'L. Lab' });
      const untouched = await get(s1.id);
      assert.deepEqual(untouched.activeElements, [{ elementId: 'resultIn', waitsFor: 'message' }]);
      assert.deepEqual(untouched.variables, { sampleId: 'S-1' });
      const correlated = (await ctx.engine.processes.history(quinn, s2.id)).find(
        (e) => e.type === 'message.correlated',
      );
      assert.equal(correlated?.actorName, 'Quinn Quaye');
      assert.equal(correlated?.payload.correlationKey, 'S-2');
      // And the same message again finds nobody: S-2 no longer waits and S-1 has another key
      await assert.rejects(correlate('Lab result', 'S-2'), NotFoundError);
      // When S-1's result arrives, S-1 moves on too and can complete
      const s1Moved = await correlate('Lab result', 'S-1', { assay: 97.0 });
      assert.equal(s1Moved.instance.id, s1.id);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(s1Moved.instance, 'review'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: a message nobody waits for is refused as not found and changes nothing', async () => {
      // Given a sample waiting for its result
      const s3 = await ctx.engine.processes.start(olivia, 'awaitLabResult', {
        variables: { sampleId: 'S-3' },
      });
      const before = await ctx.engine.processes.history(quinn, s3.id);
      // When a result comes for a sample nobody waits for, or a message of a name nobody knows
      await assert.rejects(correlate('Lab result', 'S-404', { assay: 1 }), (error: Error) => {
        assert.ok(error instanceof NotFoundError);
        assert.match(error.message, /Nothing waits for message "Lab result" with correlation key "S-404"/);
        return true;
      });
      await assert.rejects(correlate('Nobody listens', 'S-3'), NotFoundError);
      // And a message without the key the waiting token needs
      await assert.rejects(correlate('Lab result'), NotFoundError);
      // Then the waiting instance is exactly as it was
      const after = await get(s3.id);
      assert.deepEqual(after.activeElements, [{ elementId: 'resultIn', waitsFor: 'message' }]);
      assert.deepEqual(after.variables, { sampleId: 'S-3' });
      assert.equal((await ctx.engine.processes.history(quinn, s3.id)).length, before.length);
      // And the right message still reaches it
      assert.equal((await correlate('Lab result', 'S-3')).instance.id, s3.id);
    });

    it('Scenario: two instances wait with the same key; the one waiting longest gets the first message', async () => {
      // Given two reviews of the same sample, started one after the other
      const first = await ctx.engine.processes.start(olivia, 'awaitLabResult', {
        variables: { sampleId: 'S-5' },
      });
      ctx.clock.advance(1);
      const second = await ctx.engine.processes.start(olivia, 'awaitLabResult', {
        variables: { sampleId: 'S-5' },
      });
      // When two results for S-5 arrive
      const one = await correlate('Lab result', 'S-5', { assay: 1 });
      const two = await correlate('Lab result', 'S-5', { assay: 2 });
      // Then each instance gets exactly one, the older one first
      assert.equal(one.instance.id, first.id);
      assert.equal(two.instance.id, second.id);
      assert.equal((await get(first.id)).variables.assay, 1);
      assert.equal((await get(second.id)).variables.assay, 2);
      await assert.rejects(correlate('Lab result', 'S-5'), NotFoundError);
    });

    it('Scenario: a correlation key that cannot be evaluated is an incident; a retry after correction subscribes', async () => {
      // Given a sample started without its id
      const started = await ctx.engine.processes.start(olivia, 'awaitLabResult');
      // Then the catch event cannot subscribe: an incident, not a subscription with a null key
      assert.equal(started.status, 'incident');
      assert.deepEqual(
        started.incidents.map((i) => i.elementId),
        ['resultIn'],
      );
      await assert.rejects(correlate('Lab result'), NotFoundError);
      // When the id is entered and the incident retried
      const retried = await ctx.engine.incidents.retry(quinn, started.incidents[0]!.id, {
        reason: 'Corrected after the incident',
        variables: { sampleId: 'S-6' },
      });
      // Then it waits for S-6, and S-6's result reaches it
      assert.deepEqual(retried.activeElements, [{ elementId: 'resultIn', waitsFor: 'message' }]);
      assert.equal((await correlate('Lab result', 'S-6')).instance.id, started.id);
    });

    it('Scenario: correlating needs the authority to edit records', async () => {
      const petra = await loginAs(ctx.engine, 'petra');
      await assert.rejects(
        ctx.engine.processes.messages.correlate(petra, { name: 'Lab result', correlationKey: 'S-1' }),
        NotAllowedError,
      );
    });
  });

  describe('Receive task', () => {
    it('Scenario: the receive task waits for its certificate and completes with its variables', async () => {
      // Given two lots waiting for their certificates
      const lotA = await ctx.engine.processes.start(olivia, 'awaitCoa', { variables: { lot: 'L-7' } });
      const lotB = await ctx.engine.processes.start(olivia, 'awaitCoa', { variables: { lot: 'L-8' } });
      assert.deepEqual(lotA.activeElements, [{ elementId: 'receiveCoa', waitsFor: 'message' }]);
      assert.deepEqual(lotA.openTasks, []);
      // When the certificate of L-8 arrives
      const { instance } = await correlate('Certificate of analysis', 'L-8', { coaNumber: 'COA-558' });
      // Then only L-8 completes its receive task and is ready for release
      assert.equal(instance.id, lotB.id);
      assert.deepEqual(
        instance.openTasks.map((t) => t.elementId),
        ['release'],
      );
      assert.equal(instance.variables.coaNumber, 'COA-558');
      assert.deepEqual((await get(lotA.id)).activeElements, [
        { elementId: 'receiveCoa', waitsFor: 'message' },
      ]);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(instance, 'release'));
      assert.equal(done.status, 'completed');
    });
  });

  describe('Message boundary events on a user task', () => {
    it('Scenario: a rejection cancels the filling and opens the disposal (interrupting)', async () => {
      // Given a batch being filled
      const started = await ctx.engine.processes.start(olivia, 'fillingWithMessages', {
        variables: { batchId: 'B-1' },
      });
      const fill = taskAt(started, 'fill');
      assert.deepEqual(started.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'commented:message',
        'fill:task',
        'stop:message',
      ]);
      // When QA rejects the batch
      const { instance } = await correlate('Batch rejected', 'B-1', { reason: 'particles' });
      // Then the filling is cancelled, the disposal is open, and the comment subscription is closed
      assert.deepEqual(
        instance.openTasks.map((t) => t.elementId),
        ['dispose'],
      );
      assert.deepEqual(instance.activeElements, [{ elementId: 'dispose', waitsFor: 'task' }]);
      assert.equal(instance.variables.reason, 'particles');
      await assert.rejects(ctx.engine.tasks.complete(olivia, fill), /cancelled already/);
      await assert.rejects(correlate('Comment added', 'B-1'), NotFoundError);
      await assert.rejects(correlate('Batch rejected', 'B-1'), NotFoundError);
      const done = await ctx.engine.tasks.complete(olivia, taskAt(instance, 'dispose'));
      assert.equal(done.status, 'completed');
    });

    it('Scenario: comments run beside the filling, as often as they come (non-interrupting)', async () => {
      // Given a batch being filled
      const started = await ctx.engine.processes.start(olivia, 'fillingWithMessages', {
        variables: { batchId: 'B-2' },
      });
      // When QA comments twice
      await correlate('Comment added', 'B-2', { comment: 'check the seals' });
      const { instance } = await correlate('Comment added', 'B-2', { comment: 'use line 3' });
      // Then the filling stays open and each comment opened its own task
      assert.equal(instance.id, started.id);
      assert.deepEqual(await open(started.id), ['fill', 'readComment', 'readComment']);
      assert.equal(instance.variables.comment, 'use line 3');
      assert.equal((await types(started.id)).filter((t) => t === 'message.correlated').length, 2);
      // When the filling is done, then its boundary events stop listening
      const filled = await ctx.engine.tasks.complete(olivia, taskAt(instance, 'fill'));
      assert.equal(filled.status, 'active', 'the comments are still to be read');
      await assert.rejects(correlate('Comment added', 'B-2'), NotFoundError);
      await assert.rejects(correlate('Batch rejected', 'B-2'), NotFoundError);
      // When both comments are read, the instance completes
      const [first, second] = filled.openTasks;
      await ctx.engine.tasks.complete(olivia, first!.id);
      const done = await ctx.engine.tasks.complete(olivia, second!.id);
      assert.equal(done.status, 'completed');
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });

  describe('Message start event', () => {
    it('Scenario: a message nobody waits for starts the process; its correlation key is the business key', async () => {
      // When a complaint arrives
      const { instance, started } = await correlate('Complaint received', 'C-77', {
        product: 'Tablets 10 mg',
      });
      // Then a complaint intake starts with the message's key and variables
      assert.equal(started, true);
      assert.equal(instance.key, 'complaintIntake');
      assert.equal(instance.businessKey, 'C-77');
      assert.deepEqual(instance.variables, { product: 'Tablets 10 mg' });
      assert.deepEqual(
        instance.openTasks.map((t) => t.elementId),
        ['assess'],
      );
      const first = (await ctx.engine.processes.history(quinn, instance.id))[0]!;
      assert.equal(first.type, 'process.started');
      assert.equal(first.payload.message, 'Complaint received');
      assert.equal(first.actorName, 'Quinn Quaye');
      // When a second complaint arrives, a second instance starts
      const again = await correlate('Complaint received', 'C-78');
      assert.equal(again.started, true);
      assert.notEqual(again.instance.id, instance.id);
      assert.equal(again.instance.businessKey, 'C-78');
    });

    it('Scenario: a process that starts only by a message cannot be started by hand', async () => {
      await assert.rejects(ctx.engine.processes.start(olivia, 'complaintIntake'), ConflictError);
    });
  });

  describe('Message intermediate throw event', () => {
    it('Scenario: production tells QA its batch is ready; the message carries the key and no variables', async () => {
      // Given QA waits for batch B-7 and batch B-8
      const waits = await ctx.engine.processes.start(quinn, 'awaitBatch', { variables: { batch: 'B-7' } });
      const other = await ctx.engine.processes.start(quinn, 'awaitBatch', { variables: { batch: 'B-8' } });
      // When production finishes B-7, whose throw event goes out through the job worker
      const production = await ctx.engine.processes.start(olivia, 'finishBatch', {
        variables: { batch: 'B-7', operatorNote: 'line 2' },
      });
      assert.equal(production.status, 'completed');
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then only B-7's review opens, and nothing of the sender's variables came along
      const reviewed = await get(waits.id);
      assert.deepEqual(
        reviewed.openTasks.map((t) => t.elementId),
        ['review'],
      );
      assert.equal(reviewed.variables.operatorNote, undefined);
      assert.deepEqual((await get(other.id)).activeElements, [
        { elementId: 'batchReady', waitsFor: 'message' },
      ]);
      assert.ok((await types(production.id)).includes('message.thrown'));
    });
  });

  describe('Send tasks between instances', () => {
    it('Scenario: the sample announced by production reaches the lab, and the results come back', async () => {
      // Given the lab waiting for sample S-10, and another sample it also waits for
      const lab = await ctx.engine.processes.start(quinn, 'testSample', { variables: { sampleId: 'S-10' } });
      const otherLab = await ctx.engine.processes.start(quinn, 'testSample', {
        variables: { sampleId: 'S-11' },
      });
      // When production ships S-10
      const production = await ctx.engine.processes.start(olivia, 'shipSample', {
        variables: { sampleId: 'S-10', shippedBy: 'olivia' },
      });
      // Then the send task is done at once and production waits for the results
      assert.deepEqual(production.activeElements, [{ elementId: 'resultsBack', waitsFor: 'message' }]);
      assert.ok((await types(production.id)).includes('message.thrown'));
      // But the lab hears of it only when the job worker delivers the message
      assert.deepEqual((await get(lab.id)).activeElements, [{ elementId: 'sampleIn', waitsFor: 'message' }]);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      const labNow = await get(lab.id);
      assert.deepEqual(
        labNow.openTasks.map((t) => t.elementId),
        ['test'],
      );
      assert.equal(
        labNow.variables.shippedBy,
        'olivia',
        'the message carries what the send task maps into it',
      );
      const delivered = (await ctx.engine.processes.history(quinn, lab.id)).find(
        (e) => e.type === 'message.correlated',
      );
      assert.equal(delivered?.actorId, null, 'delivered by the system');
      assert.deepEqual((await get(otherLab.id)).activeElements, [
        { elementId: 'sampleIn', waitsFor: 'message' },
      ]);
      // When the lab tests the sample and releases the results (a send task mapping the assay into the message)
      const tested = await ctx.engine.tasks.complete(quinn, taskAt(labNow, 'test'), {
        variables: { assay: 98.4 },
      });
      assert.equal(tested.status, 'completed');
      assert.equal((await get(production.id)).status, 'active');
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then production receives them and completes
      const back = await get(production.id);
      assert.equal(back.status, 'completed');
      assert.equal(back.variables.assay, 98.4);
      assert.equal(await ctx.engine.jobs.runDue(), 0);
    });

    it('Scenario: a thrown message nobody receives is not dropped: the job retries, then fails visibly', async () => {
      // Given production ships a sample the lab does not wait for
      const production = await ctx.engine.processes.start(olivia, 'shipSample', {
        variables: { sampleId: 'S-99' },
      });
      // When the job worker tries to deliver it, again and again with back-off
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'the first attempt fails');
      for (let i = 0; i < 10; i++) {
        ctx.clock.advance(5);
        await ctx.engine.jobs.runDue();
      }
      // Then the job gave up and is listed as failed, naming the message
      const failed = await ctx.engine.jobs.failed(quinn, production.id);
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.kind, 'throw');
      assert.equal(failed[0]!.elementId, 'announce');
      assert.match(failed[0]!.error ?? '', /Sample shipped.*S-99/);
      // And the sender still waits for results
      assert.deepEqual((await get(production.id)).activeElements, [
        { elementId: 'resultsBack', waitsFor: 'message' },
      ]);
    });

    it('Scenario: a message thrown before its receiver waits is delivered when a retry finds it', async () => {
      // Given production ships S-20 before the lab has started
      const production = await ctx.engine.processes.start(olivia, 'shipSample', {
        variables: { sampleId: 'S-20' },
      });
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'nobody waits yet');
      // When the lab starts waiting and the retry is due
      const lab = await ctx.engine.processes.start(quinn, 'testSample', { variables: { sampleId: 'S-20' } });
      ctx.clock.advance(1);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then the lab has the sample
      assert.deepEqual(await open(lab.id), ['test']);
      assert.deepEqual(await ctx.engine.jobs.failed(quinn, production.id), []);
    });
  });

  describe('Event-based gateway: a message races a timer', () => {
    it('Scenario: the approval comes first; the timer is cancelled and never fires', async () => {
      // Given a deviation waiting for approval, to be chased after 48 hours
      const started = await ctx.engine.processes.start(olivia, 'deviationRace', {
        variables: { deviationId: 'D-1' },
      });
      assert.deepEqual(started.activeElements.map((e) => `${e.elementId}:${e.waitsFor}`).sort(), [
        'approvedIn:message',
        'tooLong:timer',
      ]);
      // When the approval arrives
      const { instance } = await correlate('Deviation approved', 'D-1', { approvedBy: 'quinn' });
      // Then the change is to be implemented and the timer is gone
      assert.deepEqual(instance.activeElements, [{ elementId: 'implement', waitsFor: 'task' }]);
      ctx.clock.advance(49 * 60);
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'the cancelled timer does not run');
      assert.deepEqual(await open(started.id), ['implement']);
      assert.equal((await types(started.id)).filter((t) => t === 'timer.fired').length, 0);
      // And a second approval finds nobody
      await assert.rejects(correlate('Deviation approved', 'D-1'), NotFoundError);
    });

    it('Scenario: 48 hours pass first; the approver is chased and a late approval finds nobody', async () => {
      // Given a deviation waiting for approval
      const started = await ctx.engine.processes.start(olivia, 'deviationRace', {
        variables: { deviationId: 'D-2' },
      });
      // When 48 hours pass
      ctx.clock.advance(47 * 60);
      assert.equal(await ctx.engine.jobs.runDue(), 0, 'not due yet');
      ctx.clock.advance(61);
      assert.equal(await ctx.engine.jobs.runDue(), 1);
      // Then the approver is chased and the message subscription is closed
      const chased = await get(started.id);
      assert.deepEqual(chased.activeElements, [{ elementId: 'chase', waitsFor: 'task' }]);
      await assert.rejects(correlate('Deviation approved', 'D-2', { approvedBy: 'late' }), NotFoundError);
      const after = await get(started.id);
      assert.equal(after.variables.approvedBy, undefined);
      const done = await ctx.engine.tasks.complete(quinn, taskAt(after, 'chase'));
      assert.equal(done.status, 'completed');
      assert.equal((await ctx.engine.verify()).ok, true);
    });
  });
});
