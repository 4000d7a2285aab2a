import assert from 'node:assert/strict';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  type FlowNode,
  type InstanceView,
  type Principal,
  type ProcessGraph,
} from '../../../src/index.ts';
import type { Scope, Token } from '../../../src/bpmn/execution/types.ts';
import { mapInstance } from '../../../src/bpmn/service/migration.ts';
import { loginAs, startTestEngine, type TestContext } from '../../support/testEngine.ts';
import { deploy, taskAt } from './support.ts';

describe('Feature: migrating running instances to another version of their process', () => {
  let ctx: TestContext;
  let quinn: Principal;
  let olivia: Principal;
  let v1: { id: string; version: number };
  let v2: { id: string; version: number };
  /** Instances started on version 1 before version 2 was deployed, by where they wait. */
  const onVersion1: { atA: InstanceView[]; atB: InstanceView[] } = { atA: [], atB: [] };

  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
    olivia = await loginAs(ctx.engine, 'olivia');
    v1 = await deploy(ctx.engine, quinn, 'migration-v1.bpmn');
    for (let i = 0; i < 2; i++) {
      const started = await ctx.engine.processes.start(olivia, 'changeReview');
      onVersion1.atA.push(started);
      const atA = await ctx.engine.processes.start(olivia, 'changeReview');
      onVersion1.atB.push(await ctx.engine.tasks.complete(quinn, taskAt(atA, 'A')));
    }
    v2 = await deploy(ctx.engine, quinn, 'migration-v2.bpmn');
    assert.deepEqual([v1.version, v2.version], [1, 2]);
  });
  after(() => ctx.close());

  /** Everything a migration could change about an instance. */
  const state = async (id: string) => ({
    instance: await ctx.engine.processes.get(quinn, id),
    history: await ctx.engine.processes.history(quinn, id),
    tasks: await ctx.engine.tasks.list(quinn, { instanceId: id }),
  });

  it('Scenario: a dry run reports what cannot be mapped and changes nothing', async () => {
    // Given an instance of version 1 waiting at B, which version 2 renamed to B2
    const instance = onVersion1.atB[0]!;
    assert.deepEqual(
      instance.activeElements.map((e) => e.elementId),
      ['B'],
    );
    const before = await state(instance.id);

    // When a dry run asks for version 2 with a mapping that names an element version 1 lacks
    const plan = await ctx.engine.processes.migrate(quinn, instance.id, {
      targetDefinitionId: v2.id,
      mapping: { Z: 'B2' },
      dryRun: true,
    });

    // Then it reports both problems, changes nothing and shows no instance
    assert.deepEqual(
      { ...plan, problems: plan.problems.map((p) => p.elementId).sort() },
      {
        instanceId: instance.id,
        fromDefinitionId: v1.id,
        toDefinitionId: v2.id,
        fromVersion: 1,
        toVersion: 2,
        mappable: false,
        moves: [],
        problems: ['B', 'Z'],
      },
    );
    assert.match(plan.problems.find((p) => p.elementId === 'B')!.problem, /target has no element B/);
    assert.match(plan.problems.find((p) => p.elementId === 'Z')!.problem, /not an element of the running/);

    // And a mapping to an element of another kind is reported as such
    const wrongKind = await ctx.engine.processes.migrate(quinn, instance.id, {
      targetDefinitionId: v2.id,
      mapping: { B: 'end' },
      dryRun: true,
    });
    assert.equal(wrongKind.mappable, false);
    assert.match(wrongKind.problems[0]!.problem, /B is a userTask, but end in the target is a endEvent/);

    // And a dry run with a good mapping says where each waiting element goes
    const good = await ctx.engine.processes.migrate(quinn, instance.id, {
      targetDefinitionId: v2.id,
      mapping: { B: 'B2' },
      dryRun: true,
    });
    assert.deepEqual([good.mappable, good.moves, good.problems], [true, [{ from: 'B', to: 'B2' }], []]);
    assert.equal('instance' in good, false);

    // When the migration is asked for without the mapping it needs, then it is refused
    const refused = await ctx.engine.processes
      .migrate(quinn, instance.id, { targetDefinitionId: v2.id })
      .then(
        () => assert.fail('migrated an instance whose task the target lacks'),
        (error: unknown) => error,
      );
    assert.ok(refused instanceof InputError);
    assert.deepEqual(
      refused.errors.map((e) => e.pointer),
      ['/mapping/B'],
    );

    // And nothing changed: the instance, its history and its tasks are as they were
    assert.deepEqual(await state(instance.id), before);
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: a migration with a mapping moves the waiting task; it completes on the new version’s graph', async () => {
    // Given an instance of version 1 waiting at B
    const instance = onVersion1.atB[1]!;
    const task = taskAt(instance, 'B');
    const headBefore = (await ctx.engine.processes.history(quinn, instance.id)).at(-1)!;

    // When it is migrated to version 2 with B mapped to B2
    const migrated = await ctx.engine.processes.migrate(quinn, instance.id, {
      targetDefinitionId: v2.id,
      mapping: { B: 'B2' },
    });

    // Then it runs version 2, its task waits at B2 under the same id, and nothing else changed
    assert.deepEqual(
      [migrated.mappable, migrated.fromVersion, migrated.toVersion, migrated.moves],
      [true, 1, 2, [{ from: 'B', to: 'B2' }]],
    );
    const view = migrated.instance!;
    assert.deepEqual(
      [view.definitionId, view.version, view.status, view.openTasks],
      [
        v2.id,
        2,
        'active',
        [{ id: task, elementId: 'B2', name: 'Review the change and its risk', status: 'open' }],
      ],
    );
    assert.deepEqual(await ctx.engine.processes.get(quinn, instance.id), view);
    const [listed] = await ctx.engine.tasks.list(quinn, { instanceId: instance.id });
    assert.deepEqual(
      [listed!.id, listed!.elementId, listed!.name],
      [task, 'B2', 'Review the change and its risk'],
    );

    // And the audit trail says who migrated it, from where to where, chained after the old head
    const history = await ctx.engine.processes.history(quinn, instance.id);
    const event = history.at(-1)!;
    assert.deepEqual(
      [event.type, event.seq, event.prevHash, event.actorId],
      ['instance.migrated', headBefore.seq + 1, headBefore.hash, quinn.userId],
    );
    assert.deepEqual(event.payload, {
      fromDefinitionId: v1.id,
      toDefinitionId: v2.id,
      fromVersion: 1,
      toVersion: 2,
      moves: [{ from: 'B', to: 'B2' }],
      mapping: { B: 'B2' },
      state: event.payload.state,
    });
    assert.equal((event.payload.state as { definitionId: string }).definitionId, v2.id);
    assert.equal((await ctx.engine.verify()).ok, true);

    // When B2 is completed, then the instance goes on to C, the step only version 2 has
    const atC = await ctx.engine.tasks.complete(quinn, task);
    assert.deepEqual(
      atC.openTasks.map((t) => t.elementId),
      ['C'],
    );
    const done = await ctx.engine.tasks.complete(quinn, taskAt(atC, 'C'));
    assert.equal(done.status, 'completed');
    const types = (await ctx.engine.processes.history(quinn, instance.id)).map((e) => e.type);
    assert.deepEqual(types.slice(types.indexOf('instance.migrated')), [
      'instance.migrated',
      'task.completed',
      'task.created',
      'task.completed',
      'process.completed',
    ]);
    assert.equal((await ctx.engine.verify()).ok, true);
  });

  it('Scenario: an element the target keeps migrates without a mapping', async () => {
    // Given an instance of version 1 waiting at A, which version 2 has too
    const instance = onVersion1.atA[0]!;
    // When it migrates to version 2 without a mapping, then A stays A and leads to B2
    const migrated = await ctx.engine.processes.migrate(quinn, instance.id, { targetDefinitionId: v2.id });
    assert.deepEqual(migrated.moves, [{ from: 'A', to: 'A' }]);
    const next = await ctx.engine.tasks.complete(quinn, taskAt(migrated.instance!, 'A'));
    assert.deepEqual(
      next.openTasks.map((t) => t.elementId),
      ['B2'],
    );
  });

  it('Scenario: an ended instance, a stale one and one without authority are refused', async () => {
    // Given an instance that completed
    const running = await ctx.engine.processes.start(olivia, 'changeReview');
    let ended = await ctx.engine.tasks.complete(quinn, taskAt(running, 'A'));
    ended = await ctx.engine.tasks.complete(quinn, taskAt(ended, 'B2'));
    ended = await ctx.engine.tasks.complete(quinn, taskAt(ended, 'C'));
    assert.equal(ended.status, 'completed');
    // Then it cannot be migrated, not even in a dry run
    await assert.rejects(
      ctx.engine.processes.migrate(quinn, ended.id, { targetDefinitionId: v1.id }),
      (error) => error instanceof ConflictError && /has completed/.test(error.message),
    );
    await assert.rejects(
      ctx.engine.processes.migrate(quinn, ended.id, { targetDefinitionId: v1.id, dryRun: true }),
      ConflictError,
    );

    // Given a running instance migrated twice at the same time
    const instance = await ctx.engine.processes.start(olivia, 'changeReview');
    const before = await state(instance.id);
    const both = await Promise.allSettled([
      ctx.engine.processes.migrate(quinn, instance.id, { targetDefinitionId: v1.id }),
      ctx.engine.processes.migrate(quinn, instance.id, { targetDefinitionId: v1.id }),
    ]);
    // Then one migration lands and the other, computed from a stale version, is refused
    assert.deepEqual(both.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const rejected = both.find((r) => r.status === 'rejected')!;
    assert.ok(rejected.reason instanceof ConflictError, String(rejected.reason));
    const history = await ctx.engine.processes.history(quinn, instance.id);
    assert.deepEqual(
      history.slice(before.history.length).map((e) => e.type),
      ['instance.migrated'],
    );
    assert.equal((await ctx.engine.processes.get(quinn, instance.id)).version, 1);
    assert.equal((await ctx.engine.verify()).ok, true);

    // And an operator may not migrate; another process's definition or the same version is no target
    await assert.rejects(
      ctx.engine.processes.migrate(olivia, instance.id, { targetDefinitionId: v2.id, dryRun: true }),
      NotAllowedError,
    );
    const other = await deploy(ctx.engine, quinn, 'approval.bpmn');
    for (const targetDefinitionId of [other.id, v1.id, '00000000-0000-4000-8000-00000000beef']) {
      await assert.rejects(
        ctx.engine.processes.migrate(quinn, instance.id, { targetDefinitionId, dryRun: true }),
        (error) => error instanceof InputError && error.errors[0]?.pointer === '/targetDefinitionId',
      );
    }
  });
});

describe('Rule: a token migrates only to an element that can hold it as it is', () => {
  const node = (id: string, kind: FlowNode['kind'], more: Partial<FlowNode> = {}): FlowNode => ({
    id,
    kind,
    name: null,
    parent: null,
    incoming: [],
    outgoing: [],
    defaultFlow: null,
    event: null,
    userTask: null,
    script: null,
    service: null,
    calledElement: null,
    subProcess: null,
    multiInstance: null,
    io: null,
    attachedTo: null,
    interrupting: true,
    boundaries: [],
    ...more,
  });
  const graph = (...nodes: FlowNode[]): ProcessGraph => ({
    key: 'rules',
    name: null,
    nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
    flows: {},
    startNodes: [],
    triggeredStarts: [],
    eventSubProcesses: [],
  });
  const problemsOf = (
    source: ProcessGraph,
    target: ProcessGraph,
    tokens: Token[],
    scopes: Scope[] = [],
    mapping: Record<string, string> = {},
  ) => mapInstance(source, target, { tokens, scopes }, mapping).problems;

  it('a join token needs its flow to lead to the target gateway', () => {
    const tokens: Token[] = [{ id: 't1', node: 'join', via: 'fb', wait: 'join' }];
    const source = graph(node('join', 'parallelGateway', { incoming: ['fa', 'fb'] }));
    assert.deepEqual(problemsOf(source, source, tokens), []);
    const target = graph(node('join', 'parallelGateway', { incoming: ['fa', 'fc'] }));
    const [problem, ...rest] = problemsOf(source, target, tokens);
    assert.equal(rest.length, 0);
    assert.equal(problem!.elementId, 'join');
    assert.match(problem!.problem, /flow fb, which does not lead to join/);
  });

  it('a boundary event token needs its target attached to its activity’s target', () => {
    const tokens: Token[] = [
      { id: 'h', node: 'task', via: null, wait: 'task', taskId: 'x' },
      { id: 'b', node: 'late', via: null, wait: 'timer', hostTokenId: 'h', jobId: 'j' },
    ];
    const timer = { type: 'timer' as const, timer: { type: 'duration' as const, expression: '"PT1H"' } };
    const source = graph(
      node('task', 'userTask', { boundaries: ['late'] }),
      node('late', 'boundaryEvent', { attachedTo: 'task', event: timer }),
      node('other', 'userTask'),
    );
    assert.deepEqual(problemsOf(source, source, tokens), []);
    const problems = problemsOf(source, source, tokens, [], { task: 'other' });
    assert.deepEqual(
      problems.map((p) => p.elementId),
      ['late'],
    );
    assert.match(problems[0]!.problem, /late in the target is not attached to other/);
  });

  it('a token waiting for a message needs its target to wait for the same message', () => {
    const tokens: Token[] = [
      {
        id: 't',
        node: 'wait',
        via: null,
        wait: 'message',
        subscription: { name: 'Lab result', correlationKey: 'S-1' },
      },
    ];
    const message = (name: string) => ({ type: 'message' as const, name, correlationKey: null });
    const source = graph(node('wait', 'intermediateCatchEvent', { event: message('Lab result') }));
    const target = graph(node('wait', 'intermediateCatchEvent', { event: message('COA') }));
    assert.deepEqual(problemsOf(source, source, tokens), []);
    assert.match(
      problemsOf(source, target, tokens)[0]!.problem,
      /does not wait for the message "Lab result"/,
    );
  });

  it('a token in a sub-process needs its target inside the sub-process’s target', () => {
    const tokens: Token[] = [
      { id: 'h', node: 'sub', via: null, wait: 'scope', childScope: 's' },
      { id: 't', node: 'inner', via: null, wait: 'task', scope: 's', taskId: 'x' },
    ];
    const scopes: Scope[] = [{ id: 's', node: 'sub', parent: null, kind: 'subProcess', variables: {} }];
    const subProcess = { start: null, triggeredByEvent: false, eventSubProcesses: [] };
    const source = graph(
      node('sub', 'subProcess', { subProcess }),
      node('inner', 'userTask', { parent: 'sub' }),
    );
    const target = graph(node('sub', 'subProcess', { subProcess }), node('inner', 'userTask'));
    const mapped = mapInstance(source, source, { tokens, scopes }, {});
    assert.deepEqual([mapped.problems, mapped.tokens, mapped.scopes], [[], tokens, scopes]);
    const problems = problemsOf(source, target, tokens, scopes);
    assert.deepEqual(
      problems.map((p) => [p.elementId, p.problem]),
      [['inner', 'inner in the target is not inside sub, as its token is']],
    );
  });

  it('maps tokens and scopes to their targets and reports a mapping key the running version lacks', () => {
    const tokens: Token[] = [{ id: 't', node: 'B', via: 'f2', wait: 'task', taskId: 'x' }];
    const source = graph(node('B', 'userTask'));
    const target = graph(node('B2', 'userTask'));
    const mapped = mapInstance(source, target, { tokens, scopes: [] }, { B: 'B2', constructor: 'B2' });
    assert.deepEqual(mapped.tokens, [{ ...tokens[0], node: 'B2' }]);
    assert.deepEqual(mapped.moves, [{ from: 'B', to: 'B2' }]);
    assert.deepEqual(
      mapped.problems.map((p) => p.elementId),
      ['constructor'],
    );
  });
});
