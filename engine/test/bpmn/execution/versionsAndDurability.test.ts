import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictError,
  createEngine,
  NotAllowedError,
  openDatabase,
  type Engine,
  type Principal,
} from '../../../src/index.ts';
import {
  loginAs,
  onServer,
  startTestEngine,
  TEST_SETTINGS,
  type TestContext,
} from '../../support/testEngine.ts';
import { fixture, taskAt } from './support.ts';

describe('Feature: versioned definitions', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
  });
  after(() => ctx.close());

  it('Scenario: deploying again makes version n+1; identical content is a no-op; running instances stay pinned', async () => {
    const v1xml = fixture('approval.bpmn');
    const [v1] = (await ctx.engine.processes.deploy(quinn, v1xml)).definitions;
    assert.deepEqual([v1!.key, v1!.version, v1!.created], ['approval', 1, true]);
    const [again] = (await ctx.engine.processes.deploy(quinn, v1xml)).definitions;
    assert.deepEqual([again!.id, again!.version, again!.created], [v1!.id, 1, false]);

    // Given an instance running on version 1
    const old = await ctx.engine.processes.start(olivia, 'approval', {
      variables: { severity: 'critical', impact: 0 },
    });
    // When version 2 no longer sends every critical deviation to the QP
    const v2xml = v1xml.replace('severity = "critical" or impact &gt;= 3', 'impact &gt;= 3');
    const [v2] = (await ctx.engine.processes.deploy(quinn, v2xml)).definitions;
    assert.deepEqual([v2!.version, v2!.created], [2, true]);
    assert.notEqual(v2!.contentHash, v1!.contentHash);
    // Then the old instance still follows version 1 and new ones follow version 2
    const oldMoved = await ctx.engine.tasks.complete(quinn, taskAt(old, 'triage'));
    assert.equal(oldMoved.version, 1);
    taskAt(oldMoved, 'qp');
    const fresh = await ctx.engine.processes.start(olivia, 'approval', {
      variables: { severity: 'critical', impact: 0 },
    });
    assert.equal(fresh.version, 2);
    assert.equal((await ctx.engine.tasks.complete(quinn, taskAt(fresh, 'triage'))).status, 'completed');
    const deployed = (await ctx.engine.audit.trail(quinn, { recordId: v2!.id })).map((e) => e.type);
    assert.deepEqual(deployed, ['definition.deployed']);
  });

  it('C4: deployment is an audited configuration change that needs the authority to manage templates', async () => {
    await assert.rejects(ctx.engine.processes.deploy(olivia, fixture('abort.bpmn')), NotAllowedError);
  });

  it('refuses GMP attributes it cannot enforce yet instead of ignoring them', async () => {
    const xml = fixture('approval.bpmn').replace(
      'attest:candidateRoles="qa"',
      'attest:candidateRoles="qa" attest:qualifications="SOP-QA-001"',
    );
    await assert.rejects(
      ctx.engine.processes.deploy(quinn, xml),
      /attest:qualifications needs qualification checks/,
    );
  });
});

describe('Feature: durability', () => {
  it('Scenario: a task waiting when the process stops is completed after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attest-restart-'));
    const { options: serverOptions, drop } = onServer()
      ? await (await import('../../support/testEngine.ts')).createTestDatabase()
      : { options: { dataDir: dir }, drop: async () => {} };
    const open = async () =>
      createEngine({ database: await openDatabase(serverOptions), settings: TEST_SETTINGS });
    try {
      let engine: Engine = await open();
      const { seedDemoUsers } = await import('../../../src/index.ts');
      await seedDemoUsers(engine.identity, { demo: true });
      let quinn = await loginAs(engine, 'quinn');
      await engine.processes.deploy(quinn, fixture('line-clearance.bpmn'));
      const started = await engine.processes.start(quinn, 'lineClearance');
      await engine.close();

      engine = await open();
      quinn = await loginAs(engine, 'quinn');
      const resumed = await engine.processes.get(quinn, started.id);
      assert.deepEqual(resumed.openTasks.map((t) => t.elementId).sort(), ['documents', 'materials']);
      const one = await engine.tasks.complete(quinn, taskAt(resumed, 'materials'));
      const two = await engine.tasks.complete(quinn, taskAt(one, 'documents'));
      assert.equal((await engine.tasks.complete(quinn, taskAt(two, 'check'))).status, 'completed');
      assert.equal((await engine.verify()).ok, true);
      await engine.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await drop();
    }
  });

  it('Scenario: two runtime processes complete the same task at once: one completion, one clean conflict', async function () {
    if (!onServer()) this.skip();
    const ctx = await startTestEngine();
    const second = createEngine({
      database: await openDatabase({ ...ctx.options, migrate: false }),
      settings: TEST_SETTINGS,
    });
    try {
      const quinn = await loginAs(ctx.engine, 'quinn');
      await ctx.engine.processes.deploy(quinn, fixture('approval.bpmn'));
      const otherQuinn = await second.identity.authenticate(quinn.sessionId);
      for (let round = 0; round < 10; round++) {
        const started = await ctx.engine.processes.start(quinn, 'approval', {
          variables: { severity: 'minor', impact: 0 },
        });
        const task = taskAt(started, 'triage');
        const results = await Promise.allSettled([
          ctx.engine.tasks.complete(quinn, task),
          second.tasks.complete(otherQuinn, task),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results.map((r) => r.status))}`);
        assert.ok(lost[0]!.reason instanceof ConflictError, String(lost[0]!.reason));
        const completions = (await ctx.engine.processes.history(quinn, started.id)).filter(
          (e) => e.type === 'task.completed',
        );
        assert.equal(completions.length, 1);
      }
      assert.equal((await ctx.engine.verify()).ok, true);
    } finally {
      await second.close();
      await ctx.close();
    }
  });
});
