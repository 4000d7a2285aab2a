import assert from 'node:assert/strict';
import { BpmnModdle } from 'bpmn-moddle';
import { readFile } from 'node:fs/promises';
import { attestModdleDescriptor, compileBpmn, ModelError, parseBpmn } from '../../src/bpmn/model/compile.ts';
import type { ProcessGraph } from '../../src/bpmn/model/graph.ts';
import { InputError } from '../../src/kernel/errors.ts';

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

async function compileFixture(name: string): Promise<ProcessGraph> {
  const { processes } = await compileBpmn(await fixture(name));
  assert.equal(processes.length, 1);
  return processes[0]!;
}

/** The ModelError a model is refused with; fails when it compiles or fails otherwise. */
async function refusal(xml: string): Promise<ModelError> {
  const error = await compileBpmn(xml).then(
    () => assert.fail('the model compiled'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
  return error;
}

/** Each problem as `elementId elementType: problem`, in the order they were found. */
const problemLines = (error: ModelError) =>
  error.problems.map((p) => `${p.elementId} ${p.elementType}: ${p.problem}`);

const bpmn = (processes: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
${processes}
</definitions>`;

describe('Feature: compiling BPMN into the executable graph', () => {
  describe('Scenario: the benchmark reference model', () => {
    it('Given reference.bpmn, when it is compiled, then its graph has the nodes, flows, default flow and FEEL condition of the XML', async () => {
      const graph = await compileFixture('reference.bpmn');

      assert.equal(graph.key, 'reference');
      assert.equal(graph.name, 'Benchmark reference');
      assert.deepEqual(graph.startNodes, ['start']);
      assert.deepEqual(
        Object.values(graph.nodes).map((n) => [n.id, n.kind, n.name, n.incoming, n.outgoing]),
        [
          ['start', 'startEvent', null, [], ['f1']],
          ['review', 'userTask', 'Review', ['f1'], ['f2']],
          ['decide', 'exclusiveGateway', null, ['f2'], ['f3', 'f4']],
          ['approve', 'userTask', 'Approve', ['f4'], ['f5']],
          ['end', 'endEvent', null, ['f5'], []],
          ['rejected', 'endEvent', null, ['f3'], []],
        ],
      );
      assert.equal(graph.nodes.decide!.defaultFlow, 'f4');
      assert.deepEqual(graph.flows.f3, {
        id: 'f3',
        name: null,
        source: 'decide',
        target: 'rejected',
        condition: 'reject = true',
      });
      assert.deepEqual(
        Object.values(graph.flows).map((f) => [f.id, f.source, f.target, f.condition]),
        [
          ['f1', 'start', 'review', null],
          ['f2', 'review', 'decide', null],
          ['f3', 'decide', 'rejected', 'reject = true'],
          ['f4', 'decide', 'approve', null],
          ['f5', 'approve', 'end', null],
        ],
      );
      assert.deepEqual(graph.nodes.review!.userTask, {
        formKey: null,
        candidateRoles: [],
        qualifications: [],
        signatureMeaning: null,
        secondPersonVerification: false,
        dueDate: null,
        assignee: null,
        separateFrom: [],
        rejectWhen: null,
        reviewOf: null,
        outOfOrder: false,
      });
    });

    it('Given a compiled graph, when anything tries to change it, then it cannot: the graph is deeply frozen', async () => {
      const graph = await compileFixture('reference.bpmn');

      assert.ok(Object.isFrozen(graph));
      assert.ok(Object.isFrozen(graph.nodes));
      assert.ok(Object.isFrozen(graph.nodes.review!.outgoing));
      assert.ok(Object.isFrozen(graph.nodes.review!.userTask!.candidateRoles));
      assert.ok(Object.isFrozen(graph.flows.f3));
      assert.throws(() => {
        (graph.flows.f3 as { condition: string }).condition = 'true';
      }, TypeError);
    });
  });

  describe('Scenario: GMP attributes, FEEL scripts and a terminate end', () => {
    let graph: ProcessGraph;
    before(async () => {
      graph = await compileFixture('gmp-user-task.bpmn');
    });

    it('Given a user task with attest: attributes, when it is compiled, then its spec holds them with lists split and trimmed', () => {
      assert.deepEqual(graph.nodes.weigh!.userTask, {
        formKey: 'dispensing@2',
        candidateRoles: ['operator', 'supervisor'],
        qualifications: ['SOP-DISP-001', 'SOP-SCALE-004'],
        signatureMeaning: 'Performed',
        secondPersonVerification: true,
        dueDate: 'duration("PT8H")',
        assignee: null,
        separateFrom: [],
        rejectWhen: null,
        reviewOf: null,
        outOfOrder: false,
      });
    });

    it('Given a FEEL script task with attest:resultVariable, when it is compiled, then it keeps the expression without its leading "="', () => {
      assert.equal(graph.nodes.yield!.kind, 'scriptTask');
      assert.deepEqual(graph.nodes.yield!.script, {
        expression: 'actualWeight / targetWeight * 100',
        resultVariable: 'yieldPercent',
      });
      assert.equal(graph.nodes.weigh!.script, null);
    });

    it('Given a Camunda-style condition, when it is compiled, then the "=" is removed and the rest kept as written', () => {
      assert.equal(graph.flows.withinLimits!.condition, 'yieldPercent >= 98 and yieldPercent <= 102');
      assert.equal(graph.nodes.inLimits!.defaultFlow, 'outOfLimits');
    });

    it('Given an end event with a terminate definition, when it is compiled, then it terminates; other ends do not', () => {
      assert.equal(graph.nodes.stop!.kind, 'endEvent');
      assert.deepEqual(graph.nodes.stop!.event, { type: 'terminate' });
      assert.equal(graph.nodes.deviation!.event, null);
    });

    it('Given nodes directly in the process, when it is compiled, then every field is there: no parent, and null or empty where it does not apply', () => {
      assert.deepEqual(graph.nodes.clean, {
        id: 'clean',
        kind: 'task',
        name: 'Clean the booth',
        parent: null,
        incoming: ['toClean'],
        outgoing: ['toStop'],
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
        interrupting: false,
        boundaries: [],
      });
      assert.deepEqual(graph.triggeredStarts, []);
      assert.deepEqual(graph.eventSubProcesses, []);
    });

    it('Given manual tasks, plain tasks, a parallel split and a throw event without outgoing flows, when it is compiled, then all are executable nodes', () => {
      assert.deepEqual(
        ['label', 'clean', 'split', 'done'].map((id) => graph.nodes[id]!.kind),
        ['manualTask', 'task', 'parallelGateway', 'intermediateThrowEvent'],
      );
      assert.deepEqual(graph.nodes.split!.outgoing, ['toLabel', 'toClean']);
      assert.deepEqual(graph.nodes.done!.outgoing, []);
    });
  });

  describe('Scenario: work done by handlers, messages, FEEL decisions and called processes', () => {
    let graph: ProcessGraph;
    before(async () => {
      graph = await compileFixture('tasks.bpmn');
    });

    it('Given service, send and business-rule tasks with attest:type, when they are compiled, then each names its handler and retries, 3 unless given', () => {
      assert.deepEqual(
        ['lims', 'notify', 'score', 'request', 'classify'].map((id) => [
          graph.nodes[id]!.kind,
          graph.nodes[id]!.service,
        ]),
        [
          ['serviceTask', { type: 'lims-fetch', retries: 5 }],
          ['sendTask', { type: 'mail', retries: 3 }],
          ['businessRuleTask', { type: 'dmn:score', retries: 0 }],
          ['sendTask', null],
          ['businessRuleTask', null],
        ],
      );
    });

    it('Given send and receive tasks with a messageRef, when they are compiled, then they carry the message name and its FEEL correlation key', () => {
      assert.deepEqual(graph.nodes.request!.event, {
        type: 'message',
        name: 'Documents requested',
        correlationKey: null,
      });
      assert.deepEqual(graph.nodes.receive!.event, {
        type: 'message',
        name: 'Documents received',
        correlationKey: 'batch.id',
      });
      assert.equal(graph.nodes.notify!.event, null);
    });

    it('Given a business-rule task with attest:expression, when it is compiled, then it decides in FEEL into its result variable', () => {
      assert.deepEqual(graph.nodes.classify!.script, {
        expression: 'if risk > 5 then "high" else "low"',
        resultVariable: 'riskClass',
      });
    });

    it('Given a call activity, when it is compiled, then it names the process it starts, trimmed', () => {
      assert.equal(graph.nodes.approve!.kind, 'callActivity');
      assert.equal(graph.nodes.approve!.calledElement, 'approval');
    });

    it('Given multi-instance activities over a collection and a cardinality, when they are compiled, then their specs hold the FEEL without "="', () => {
      assert.deepEqual(graph.nodes.inspect!.multiInstance, {
        sequential: false,
        collection: 'samples',
        cardinality: null,
        elementVariable: 'sample',
        completionCondition: 'nrOfCompletedInstances >= 3',
        outputCollection: 'findings',
        outputElement: 'finding',
      });
      assert.deepEqual(graph.nodes.approve!.multiInstance, {
        sequential: true,
        collection: null,
        cardinality: 'approverCount',
        elementVariable: null,
        completionCondition: null,
        outputCollection: null,
        outputElement: null,
      });
      assert.equal(graph.nodes.lims!.multiInstance, null);
    });

    it('Given an attest:ioMapping, when it is compiled, then the inputs and outputs keep their order, FEEL sources without "="', () => {
      assert.deepEqual(graph.nodes.lims!.io, {
        inputs: [
          { source: 'batch.id', target: 'batchId' },
          { source: '"QC"', target: 'lab' },
        ],
        outputs: [{ source: 'response.results', target: 'results' }],
      });
      assert.equal(graph.nodes.notify!.io, null);
    });

    it('Given an inclusive split with a default flow and an inclusive join, when they are compiled, then both are inclusive gateways and the split keeps its default', () => {
      assert.deepEqual(
        ['route', 'join'].map((id) => [graph.nodes[id]!.kind, graph.nodes[id]!.defaultFlow]),
        [
          ['inclusiveGateway', 'always'],
          ['inclusiveGateway', null],
        ],
      );
      assert.equal(graph.flows.toQa!.condition, 'riskClass = "high"');
    });

    it('Given tasks without what they need, when they are compiled, then each is named with what it lacks', async () => {
      const error = await refusal(
        bpmn(`<message id="nameless" />
        <process id="p" isExecutable="true">
          <startEvent id="go" />
          <sequenceFlow id="f1" sourceRef="go" targetRef="svc" />
          <serviceTask id="svc" attest:retries="2" />
          <sequenceFlow id="f2" sourceRef="svc" targetRef="retrying" />
          <serviceTask id="retrying" attest:type="lims" attest:retries="-1" />
          <sequenceFlow id="f3" sourceRef="retrying" targetRef="send" />
          <sendTask id="send" />
          <sequenceFlow id="f4" sourceRef="send" targetRef="receive" />
          <receiveTask id="receive" />
          <sequenceFlow id="f5" sourceRef="receive" targetRef="unnamed" />
          <receiveTask id="unnamed" messageRef="nameless" />
          <sequenceFlow id="f6" sourceRef="unnamed" targetRef="undecided" />
          <businessRuleTask id="undecided" />
          <sequenceFlow id="f7" sourceRef="undecided" targetRef="twice" />
          <businessRuleTask id="twice" attest:type="dmn" attest:expression="1" />
          <sequenceFlow id="f8" sourceRef="twice" targetRef="badRule" />
          <businessRuleTask id="badRule" attest:expression="risk &gt;" />
          <sequenceFlow id="f9" sourceRef="badRule" targetRef="call" />
          <callActivity id="call" calledElement=" " />
          <sequenceFlow id="f10" sourceRef="call" targetRef="lost" />
          <receiveTask id="lost" messageRef="missing" />
        </process>`),
      );

      assert.deepEqual(problemLines(error), [
        'lost bpmn:ReceiveTask: messageRef refers to "missing", which does not exist',
        'svc bpmn:ServiceTask: a service task needs attest:type naming the handler that does it',
        'retrying bpmn:ServiceTask: attest:retries must be a whole number, 0 or more',
        'send bpmn:SendTask: a send task needs attest:type naming the handler that sends, or a messageRef naming the message it sends',
        'receive bpmn:ReceiveTask: a receive task needs a messageRef naming the message it waits for',
        'nameless bpmn:Message: a message needs a name: the engine matches messages by it',
        'undecided bpmn:BusinessRuleTask: a business-rule task needs attest:type naming the handler that decides, or attest:expression deciding in FEEL',
        'twice bpmn:BusinessRuleTask: a business-rule task needs attest:type or attest:expression, not both',
        'badRule bpmn:BusinessRuleTask: attest:expression "risk >" is not valid FEEL: the expression ends too early',
        'call bpmn:CallActivity: a call activity needs calledElement naming the process it starts',
      ]);
    });
  });

  describe('Scenario: events with triggers, sub-processes and event sub-processes', () => {
    let graph: ProcessGraph;
    before(async () => {
      graph = await compileFixture('events.bpmn');
    });

    it('Given a none start, a timer start and event sub-processes, when the process is compiled, then it lists each kind of start apart', () => {
      assert.deepEqual(graph.startNodes, ['start']);
      assert.deepEqual(graph.triggeredStarts, ['nightly']);
      assert.deepEqual(graph.eventSubProcesses, ['onCancel', 'onRecall']);
      assert.deepEqual(graph.nodes.nightly!.event, {
        type: 'timer',
        timer: { type: 'cycle', expression: '"R/P1D"' },
      });
      assert.equal(graph.nodes.nightly!.interrupting, false);
    });

    it('Given events of every trigger, when they are compiled, then each carries its message, signal, code, link name or timer', () => {
      assert.deepEqual(
        Object.fromEntries(
          [
            'slow',
            'lateStart',
            'lateEnd',
            'noStock',
            'stopped',
            'jump',
            'land',
            'paid',
            'tooLate',
            'shipped',
            'expired',
            'cancelStart',
          ].map((id) => [id, graph.nodes[id]!.event]),
        ),
        {
          slow: { type: 'escalation', code: 'LATE' },
          lateStart: { type: 'escalation', code: 'LATE' },
          lateEnd: { type: 'signal', name: 'Product recall' },
          noStock: { type: 'error', code: 'OUT_OF_STOCK' },
          stopped: { type: 'terminate' },
          jump: { type: 'link', name: 'toShipping' },
          land: { type: 'link', name: 'toShipping' },
          paid: { type: 'message', name: 'Payment received', correlationKey: 'orderId' },
          tooLate: { type: 'timer', timer: { type: 'duration', expression: '"P3D"' } },
          shipped: { type: 'message', name: 'Order shipped', correlationKey: null },
          expired: { type: 'error', code: 'OUT_OF_STOCK' },
          cancelStart: { type: 'message', name: 'Order cancelled', correlationKey: null },
        },
      );
      assert.equal(graph.nodes.start!.event, null);
    });

    it('Given an embedded sub-process with an event sub-process inside, when it is compiled, then its nodes are in the flat graph with their parent', () => {
      assert.deepEqual(graph.nodes.pick!.subProcess, {
        start: 'pickStart',
        triggeredByEvent: false,
        eventSubProcesses: ['onLate'],
      });
      assert.deepEqual(graph.nodes.onLate!.subProcess, {
        start: 'lateStart',
        triggeredByEvent: true,
        eventSubProcesses: [],
      });
      assert.deepEqual(
        [
          'pick',
          'pickStart',
          'pickItems',
          'onLate',
          'lateStart',
          'lateEnd',
          'noStock',
          'onCancel',
          'cancelEnd',
        ].map((id) => [id, graph.nodes[id]!.parent]),
        [
          ['pick', null],
          ['pickStart', 'pick'],
          ['pickItems', 'pick'],
          ['onLate', 'pick'],
          ['lateStart', 'onLate'],
          ['lateEnd', 'onLate'],
          ['noStock', null],
          ['onCancel', null],
          ['cancelEnd', 'onCancel'],
        ],
      );
      assert.deepEqual(graph.flows.toLateEnd, {
        id: 'toLateEnd',
        name: null,
        source: 'lateStart',
        target: 'lateEnd',
        condition: null,
      });
    });

    it('Given boundary events and event sub-process starts, when they are compiled, then each knows whether it interrupts, and the host its boundaries', () => {
      assert.deepEqual(
        ['noStock', 'lateStart', 'cancelStart', 'recallStart', 'pickStart'].map(
          (id) => graph.nodes[id]!.interrupting,
        ),
        [true, false, true, false, false],
      );
      assert.equal(graph.nodes.noStock!.attachedTo, 'pick');
      assert.deepEqual(graph.nodes.pick!.boundaries, ['noStock']);
      assert.deepEqual(graph.nodes.wait!.outgoing, ['toPaid', 'toTooLate']);
      assert.equal(graph.nodes.wait!.kind, 'eventBasedGateway');
    });

    it('Given a process started only by a message, when it is compiled, then it has no none start and one triggered start', async () => {
      const { processes } = await compileBpmn(
        bpmn(`<message id="m" name="Order placed" />
        <process id="p" isExecutable="true">
          <startEvent id="placed"><messageEventDefinition messageRef="m" /></startEvent>
          <sequenceFlow id="f1" sourceRef="placed" targetRef="done" />
          <endEvent id="done" />
        </process>`),
      );

      assert.deepEqual(
        processes.map((p) => [p.startNodes, p.triggeredStarts]),
        [[[], ['placed']]],
      );
    });

    it('Given events with triggers they cannot have there, or without what a trigger needs, when they are compiled, then each is named', async () => {
      const error = await refusal(
        bpmn(`<message id="keyed" name="Keyed" attest:correlationKey="=a +" />
        <error id="codeless" name="Codeless" />
        <process id="p" isExecutable="true">
          <startEvent id="go" />
          <startEvent id="failed"><errorEventDefinition /></startEvent>
          <sequenceFlow id="f1" sourceRef="go" targetRef="waitKeyed" />
          <intermediateCatchEvent id="waitKeyed"><messageEventDefinition messageRef="keyed" /></intermediateCatchEvent>
          <sequenceFlow id="f2" sourceRef="waitKeyed" targetRef="nothing" />
          <intermediateCatchEvent id="nothing" />
          <sequenceFlow id="f3" sourceRef="nothing" targetRef="repeat" />
          <intermediateCatchEvent id="repeat">
            <timerEventDefinition><timeCycle>R3/PT1H</timeCycle></timerEventDefinition>
          </intermediateCatchEvent>
          <sequenceFlow id="f4" sourceRef="repeat" targetRef="both" />
          <intermediateCatchEvent id="both">
            <timerEventDefinition><timeDuration>PT1H</timeDuration><timeDate>2026-01-01T00:00Z</timeDate></timerEventDefinition>
          </intermediateCatchEvent>
          <sequenceFlow id="f5" sourceRef="both" targetRef="unsignalled" />
          <intermediateThrowEvent id="unsignalled"><signalEventDefinition /></intermediateThrowEvent>
          <sequenceFlow id="f6" sourceRef="unsignalled" targetRef="work" />
          <userTask id="work" />
          <boundaryEvent id="soft" attachedToRef="work" cancelActivity="false"><errorEventDefinition /></boundaryEvent>
          <boundaryEvent id="hourly" attachedToRef="work">
            <timerEventDefinition><timeCycle>R/PT1H</timeCycle></timerEventDefinition>
          </boundaryEvent>
          <boundaryEvent id="badCycle" attachedToRef="work" cancelActivity="false">
            <timerEventDefinition><timeCycle>R3/1H</timeCycle></timerEventDefinition>
          </boundaryEvent>
          <sequenceFlow id="f7" sourceRef="work" targetRef="split" />
          <parallelGateway id="split" />
          <sequenceFlow id="f8" sourceRef="split" targetRef="fail" />
          <sequenceFlow id="f9" sourceRef="split" targetRef="up" />
          <sequenceFlow id="f10" sourceRef="split" targetRef="jump" />
          <endEvent id="fail"><errorEventDefinition errorRef="codeless" /></endEvent>
          <endEvent id="up"><escalationEventDefinition /></endEvent>
          <intermediateThrowEvent id="jump"><linkEventDefinition name="nowhere" /></intermediateThrowEvent>
        </process>`),
      );

      assert.deepEqual(problemLines(error), [
        'failed bpmn:StartEvent: a start event with bpmn:ErrorEventDefinition can only start an event sub-process',
        'keyed bpmn:Message: attest:correlationKey "a +" is not valid FEEL: the expression ends too early',
        'nothing bpmn:IntermediateCatchEvent: an intermediate catch event needs an event definition: timer, message, signal or link',
        'repeat bpmn:IntermediateCatchEvent: a repeating timer (timeCycle) is only allowed on timer start events of a process, on non-interrupting boundary events and on start events of non-interrupting event sub-processes',
        'both bpmn:IntermediateCatchEvent: a timer event needs exactly one timeDuration, timeDate or timeCycle',
        'unsignalled bpmn:IntermediateThrowEvent: a signal event needs a signalRef naming its bpmn:Signal',
        'soft bpmn:BoundaryEvent: an error boundary event always interrupts; remove cancelActivity="false"',
        'hourly bpmn:BoundaryEvent: a repeating timer (timeCycle) is only allowed on timer start events of a process, on non-interrupting boundary events and on start events of non-interrupting event sub-processes',
        'badCycle bpmn:BoundaryEvent: its timer "R3/1H" is not an ISO 8601 repetition such as R3/PT1H, R/P1D or R/2026-01-05T08:00:00Z/P1D',
        'fail bpmn:EndEvent: its error codeless needs an errorCode: catching events match errors by it',
        'up bpmn:EndEvent: a throwing escalation event needs an escalationRef naming its bpmn:Escalation',
        'jump bpmn:IntermediateThrowEvent: a link throw event needs exactly one link catch event named "nowhere" beside it; there are none',
      ]);
    });

    it('Given sub-processes with the wrong start events, flows or boundary events, when they are compiled, then each is named', async () => {
      const error = await refusal(
        bpmn(`<message id="m" name="M" />
        <signal id="sig" name="Sig" />
        <process id="p" isExecutable="true">
          <startEvent id="go" />
          <sequenceFlow id="f1" sourceRef="go" targetRef="inner" />
          <subProcess id="inner">
            <startEvent id="innerStart"><messageEventDefinition messageRef="m" /></startEvent>
            <task id="stranded" />
          </subProcess>
          <sequenceFlow id="f2" sourceRef="inner" targetRef="twoStarts" />
          <subProcess id="twoStarts"><startEvent id="first" /><startEvent id="second" /></subProcess>
          <sequenceFlow id="f3" sourceRef="go" targetRef="handler" />
          <subProcess id="handler" triggeredByEvent="true">
            <multiInstanceLoopCharacteristics attest:collection="=items" />
            <startEvent id="plain" />
          </subProcess>
          <boundaryEvent id="onHandler" attachedToRef="handler"><messageEventDefinition messageRef="m" /></boundaryEvent>
          <subProcess id="empty" triggeredByEvent="true" />
          <subProcess id="double" triggeredByEvent="true">
            <startEvent id="onSignal" isInterrupting="false"><signalEventDefinition signalRef="sig" /></startEvent>
            <startEvent id="onError" isInterrupting="false"><errorEventDefinition /></startEvent>
          </subProcess>
        </process>`),
      );

      assert.deepEqual(problemLines(error), [
        'innerStart bpmn:StartEvent: the start event of an embedded sub-process must be a none start event, without bpmn:MessageEventDefinition',
        'inner bpmn:SubProcess: an embedded sub-process needs a none start event (without a trigger)',
        'stranded bpmn:Task: cannot be reached from a start event',
        'second bpmn:StartEvent: is a second none start event; the engine would not know where to start',
        'handler bpmn:SubProcess: an event sub-process cannot have incoming or outgoing flows',
        'handler bpmn:SubProcess: an event sub-process cannot be multi-instance',
        'plain bpmn:StartEvent: the start event of an event sub-process needs a trigger: timer, message, signal, error or escalation',
        'onHandler bpmn:BoundaryEvent: an event sub-process cannot have boundary events',
        'empty bpmn:SubProcess: an event sub-process needs one start event with a trigger: timer, message, signal, error or escalation',
        'onError bpmn:StartEvent: an error start event always interrupts; remove isInterrupting="false"',
        'onError bpmn:StartEvent: is a second start event; an event sub-process has exactly one',
      ]);
    });
  });

  describe('Scenario: inclusive and event-based gateways used the wrong way', () => {
    it('Given their flows and targets breaking the rules, when they are compiled, then each offending flow or gateway is named', async () => {
      const error = await refusal(
        bpmn(`<message id="m" name="M" />
        <process id="p" isExecutable="true">
          <startEvent id="go" />
          <sequenceFlow id="f1" sourceRef="go" targetRef="some" />
          <inclusiveGateway id="some" default="other" />
          <sequenceFlow id="noCondition" sourceRef="some" targetRef="pick" />
          <sequenceFlow id="other" sourceRef="some" targetRef="pick">
            <conditionExpression xsi:type="tFormalExpression">x</conditionExpression>
          </sequenceFlow>
          <sequenceFlow id="third" sourceRef="some" targetRef="pick">
            <conditionExpression xsi:type="tFormalExpression">y</conditionExpression>
          </sequenceFlow>
          <eventBasedGateway id="pick" />
          <sequenceFlow id="toWork" sourceRef="pick" targetRef="work">
            <conditionExpression xsi:type="tFormalExpression">y</conditionExpression>
          </sequenceFlow>
          <task id="work" />
          <sequenceFlow id="f2" sourceRef="work" targetRef="starter" />
          <eventBasedGateway id="starter" instantiate="true" />
          <sequenceFlow id="f3" sourceRef="starter" targetRef="wait" />
          <sequenceFlow id="f4" sourceRef="starter" targetRef="later" />
          <receiveTask id="wait" messageRef="m" />
          <intermediateCatchEvent id="later">
            <timerEventDefinition><timeDate>=deadline</timeDate></timerEventDefinition>
          </intermediateCatchEvent>
          <sequenceFlow id="f5" sourceRef="wait" targetRef="stuck" />
          <inclusiveGateway id="stuck" />
        </process>`),
      );

      assert.deepEqual(problemLines(error), [
        'noCondition bpmn:SequenceFlow: leaves inclusive gateway some without a condition; give it one or make it the default flow',
        'other bpmn:SequenceFlow: is the default flow of some and must not have a condition',
        'toWork bpmn:SequenceFlow: leaves event-based gateway pick, which waits for an event instead; remove its condition',
        'pick bpmn:EventBasedGateway: an event-based gateway needs at least two outgoing flows',
        'pick bpmn:EventBasedGateway: its flow toWork leads to bpmn:Task work; an event-based gateway can only lead to timer, message or signal catch events and receive tasks',
        'starter bpmn:EventBasedGateway: event-based gateways that start the process (instantiate="true") are not supported; use a message or signal start event',
        'stuck bpmn:InclusiveGateway: a gateway needs at least one outgoing flow',
      ]);
    });
  });

  describe('Scenario: multi-instance activities and variable mappings used the wrong way', () => {
    it('Given loops without items, outputs without a collection, bad FEEL and mappings without ends, when they are compiled, then each is named', async () => {
      const error = await refusal(
        bpmn(`<process id="p" isExecutable="true">
          <startEvent id="go" />
          <sequenceFlow id="f1" sourceRef="go" targetRef="noItems" />
          <userTask id="noItems"><multiInstanceLoopCharacteristics attest:elementVariable="item" /></userTask>
          <sequenceFlow id="f2" sourceRef="noItems" targetRef="loose" />
          <userTask id="loose">
            <multiInstanceLoopCharacteristics attest:collection="=items" attest:outputElement="=result" />
          </userTask>
          <sequenceFlow id="f3" sourceRef="loose" targetRef="badFeel" />
          <userTask id="badFeel">
            <multiInstanceLoopCharacteristics attest:collection="items[">
              <loopCardinality>3</loopCardinality>
              <completionCondition xsi:type="tFormalExpression" language="javascript">done</completionCondition>
            </multiInstanceLoopCharacteristics>
          </userTask>
          <sequenceFlow id="f4" sourceRef="badFeel" targetRef="mapped" />
          <task id="mapped">
            <extensionElements>
              <attest:ioMapping><attest:input source=" " target="x" /><attest:output source="a +" target=" " /></attest:ioMapping>
            </extensionElements>
          </task>
          <sequenceFlow id="f5" sourceRef="mapped" targetRef="twice" />
          <task id="twice"><extensionElements><attest:ioMapping /><attest:ioMapping /></extensionElements></task>
          <sequenceFlow id="f6" sourceRef="twice" targetRef="evMapped" />
          <intermediateThrowEvent id="evMapped"><extensionElements><attest:ioMapping /></extensionElements></intermediateThrowEvent>
          <sequenceFlow id="f7" sourceRef="evMapped" targetRef="looping" />
          <task id="looping"><standardLoopCharacteristics /></task>
        </process>`),
      );

      assert.deepEqual(problemLines(error), [
        'noItems bpmn:UserTask: a multi-instance activity needs attest:collection or a loopCardinality saying how many times it runs',
        'loose bpmn:UserTask: attest:outputElement needs attest:outputCollection to collect it in',
        'badFeel bpmn:UserTask: attest:collection "items[" is not valid FEEL: the expression ends too early',
        'badFeel bpmn:UserTask: the loopCardinality must be a formal expression (xsi:type="tFormalExpression")',
        'badFeel bpmn:UserTask: completion conditions in javascript are not supported; write them in FEEL',
        'mapped bpmn:Task: the attest:input to "x" needs a source',
        'mapped bpmn:Task: an attest:output needs a target variable',
        'mapped bpmn:Task: the attest:output source "a +" is not valid FEEL: the expression ends too early',
        'twice bpmn:Task: has more than one attest:ioMapping; put all its mappings in one',
        'evMapped bpmn:IntermediateThrowEvent: attest:ioMapping is only supported on activities',
        'looping bpmn:Task: loop activities are not supported by the engine',
      ]);
    });
  });

  describe('Scenario: several processes in one file', () => {
    const process = (id: string, executable: boolean, task = 'task') =>
      `<process id="${id}" isExecutable="${executable}"><startEvent id="${id}Start" />
       <sequenceFlow id="${id}F" sourceRef="${id}Start" targetRef="${id}Work" /><${task} id="${id}Work" /></process>`;

    it('Given two executable processes and one that is not, when the file is compiled, then there is one graph per executable process', async () => {
      const { processes } = await compileBpmn(
        bpmn(process('first', true) + process('draft', false, 'serviceTask') + process('second', true)),
      );

      assert.deepEqual(
        processes.map((p) => [p.key, Object.keys(p.nodes)]),
        [
          ['first', ['firstStart', 'firstWork']],
          ['second', ['secondStart', 'secondWork']],
        ],
      );
    });

    it('Given one of them cannot be executed, when the file is compiled, then nothing of it is', async () => {
      const error = await refusal(bpmn(process('first', true) + process('second', true, 'complexGateway')));

      assert.deepEqual(problemLines(error), ['secondWork bpmn:ComplexGateway: not supported by the engine']);
    });
  });

  describe('Scenario: elements the engine does not execute', () => {
    it('Given a model with many of them, when it is compiled, then one ModelError names each with its id and type, and ignores artifacts and data', async () => {
      const error = await refusal(await fixture('unsupported-elements.bpmn'));

      assert.deepEqual(
        error.problems.map((p) => [p.elementId, p.elementType]),
        [
          ['analyse', 'bpmn:UserTask'],
          ['escalated', 'bpmn:EndEvent'],
          ['route', 'bpmn:ComplexGateway'],
          ['lims', 'bpmn:ServiceTask'],
          ['wait', 'bpmn:IntermediateCatchEvent'],
          ['retest', 'bpmn:Transaction'],
          ['retestCancelled', 'bpmn:EndEvent'],
          ['release', 'bpmn:AdHocSubProcess'],
          ['undo', 'bpmn:Task'],
        ],
      );
      assert.deepEqual(problemLines(error), [
        'analyse bpmn:UserTask: loop activities are not supported by the engine',
        'escalated bpmn:EndEvent: bpmn:CompensateEventDefinition is not supported by the engine',
        'route bpmn:ComplexGateway: not supported by the engine',
        'lims bpmn:ServiceTask: startQuantity and completionQuantity other than 1 are not supported',
        'wait bpmn:IntermediateCatchEvent: bpmn:ConditionalEventDefinition is not supported by the engine',
        'retest bpmn:Transaction: not supported by the engine',
        'retestCancelled bpmn:EndEvent: bpmn:CancelEventDefinition is not supported by the engine',
        'release bpmn:AdHocSubProcess: not supported by the engine',
        'undo bpmn:Task: compensation handlers are not supported by the engine',
      ]);
      assert.equal(error.problems[3]!.name, 'Post results to LIMS');
    });

    it('Given such a refusal, when a client reads it, then it is an input error with one field error per problem and a message listing them', async () => {
      const error = await refusal(await fixture('unsupported-elements.bpmn'));

      assert.ok(error instanceof InputError);
      assert.equal(error.kind, 'input');
      assert.equal(error.errors.length, 9);
      assert.deepEqual(error.errors[2], {
        pointer: '/elements/route',
        keyword: 'unsupported',
        message: 'bpmn:ComplexGateway: not supported by the engine',
      });
      assert.match(
        error.message,
        /^The model cannot be deployed: 9 problems \(analyse bpmn:UserTask: loop activities are not supported by the engine; .*undo bpmn:Task: compensation handlers are not supported by the engine\)$/,
      );
    });

    it('Given a model with more than ten problems, when it is refused, then the message lists ten and counts the rest', async () => {
      const tasks = Array.from({ length: 12 }, (_, i) => `<complexGateway id="s${i}" />`).join('');
      const error = await refusal(
        bpmn(`<process id="p" isExecutable="true"><startEvent id="go" />${tasks}</process>`),
      );

      assert.equal(error.problems.length, 24);
      assert.match(error.message, /^The model cannot be deployed: 24 problems \(.*; and 14 more\)$/);
    });
  });

  describe('Scenario: conditions on the wrong flows, or missing', () => {
    it('Given gateways and a task breaking the rules for conditions, when it is compiled, then each offending flow or gateway is named', async () => {
      const error = await refusal(await fixture('gateway-rules.bpmn'));

      assert.deepEqual(problemLines(error), [
        'afterInspect bpmn:SequenceFlow: conditional flows from activities are not supported; use an exclusive gateway',
        'toQuarantine bpmn:SequenceFlow: leaves exclusive gateway decide without a condition; give it one or make it the default flow',
        'toRework bpmn:SequenceFlow: is the default flow of decide and must not have a condition',
        'reworked bpmn:ExclusiveGateway: its default flow toRelease does not leave this gateway',
        'toSample bpmn:SequenceFlow: leaves parallel gateway fork, which takes every outgoing flow; remove its condition',
        'deadEnd bpmn:ExclusiveGateway: a gateway needs at least one outgoing flow',
      ]);
    });
  });

  describe('Scenario: expressions that are not FEEL', () => {
    it('Given bad FEEL in a due date, scripts and conditions, other languages and empty ones, when it is compiled, then each is refused', async () => {
      const error = await refusal(await fixture('bad-feel.bpmn'));

      assert.deepEqual(problemLines(error), [
        'review bpmn:UserTask: attest:dueDate "now() +" is not valid FEEL: the expression ends too early',
        'calc bpmn:ScriptTask: the script "1 +" is not valid FEEL: the expression ends too early',
        'legacy bpmn:ScriptTask: scripts in javascript are not supported; write the script in FEEL (scriptFormat="feel")',
        'blank bpmn:ScriptTask: the script is empty',
        'broken bpmn:SequenceFlow: the condition "amount > and" is not valid FEEL: unexpected "and" at character 10',
        'juel bpmn:SequenceFlow: conditions in javascript are not supported; write them in FEEL',
        'prose bpmn:SequenceFlow: the condition must be a formal expression (xsi:type="tFormalExpression")',
        'empty bpmn:SequenceFlow: the condition is empty',
      ]);
      assert.deepEqual(
        error.errors.map((e) => e.keyword),
        ['feel', 'feel', 'unsupported', 'value', 'feel', 'unsupported', 'unsupported', 'value'],
      );
    });

    it('Given a file that declares XPath as its expression language, when a condition names no language, then it is refused as XPath', async () => {
      const xml = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="https://attest.example/test" expressionLanguage="http://www.w3.org/1999/XPath">
  <process id="p" isExecutable="true">
    <startEvent id="go" />
    <sequenceFlow id="f1" sourceRef="go" targetRef="x" />
    <exclusiveGateway id="x" />
    <sequenceFlow id="f2" sourceRef="x" targetRef="end">
      <conditionExpression xsi:type="tFormalExpression">approved = true</conditionExpression>
    </sequenceFlow>
    <endEvent id="end" />
  </process>
</definitions>`;
      const error = await refusal(xml);

      assert.deepEqual(problemLines(error), [
        'f2 bpmn:SequenceFlow: conditions in http://www.w3.org/1999/XPath are not supported; write them in FEEL',
      ]);
    });
  });

  describe('Scenario: flows and elements no token can use', () => {
    it('Given elements no start event leads to, when it is compiled, then each unreachable element is named', async () => {
      const error = await refusal(await fixture('unreachable.bpmn'));

      assert.deepEqual(problemLines(error), [
        'cleanup bpmn:Task: cannot be reached from a start event',
        'cleanEnd bpmn:EndEvent: cannot be reached from a start event',
      ]);
    });

    it('Given a process without any start event, when it is compiled, then the process is named', async () => {
      const error = await refusal(await fixture('no-start.bpmn'));

      assert.deepEqual(error.problems, [
        {
          elementId: 'headless',
          elementType: 'bpmn:Process',
          name: null,
          problem: 'has no start event, so nothing can start it',
        },
      ]);
    });

    it('Given broken references, duplicate ids, unknown elements and attributes, when it is compiled, then every one is reported at once', async () => {
      const error = await refusal(await fixture('broken-structure.bpmn'));

      assert.deepEqual(problemLines(error), [
        'approve bpmn:UserTask: has an unknown attribute attest:formkey',
        'note bpmn:Task: has an unknown attribute attest:formKey',
        'approve bpmn:UserTask: its id is used by more than one element',
        'definitions bpmn:Definitions: cannot read <sendSignal> at line 23: unknown type <bpmn:SendSignal>',
        'lost bpmn:SequenceFlow: targetRef refers to "nowhere", which does not exist',
        'approve bpmn:UserTask: attest:signatureMeaning "Signed" is not one of Performed, Verified, Reviewed, Approved, Released, Rejected',
        "crossing bpmn:SequenceFlow: its target elsewhere is outside the flow's process",
        'loose bpmn:SequenceFlow: has no target',
        'toData bpmn:SequenceFlow: its target record is not a flow node',
        'end bpmn:EndEvent: an end event cannot have outgoing flows',
        'secondStart bpmn:StartEvent: is a second none start event; the engine would not know where to start',
        'note bpmn:Task: cannot be reached from a start event',
      ]);
      assert.equal(error.errors[3]!.pointer, '/elements/definitions');
    });

    it('Given a file without an executable process, when it is compiled, then it is refused for that', async () => {
      const error = await refusal(
        bpmn('<process id="p" isExecutable="false"><startEvent id="go" /></process>'),
      );

      assert.deepEqual(problemLines(error), [
        'definitions bpmn:Definitions: the file has no executable process (isExecutable="true")',
      ]);
    });
  });

  describe('Scenario: text that is not BPMN 2.0 XML', () => {
    for (const [what, xml, reason] of [
      ['plain text', 'this is not a model', 'missing start tag at line 1'],
      ['an empty string', '', 'missing start tag at line 1'],
      [
        'cut-off XML',
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">',
        '',
      ],
      ['another XML vocabulary', '<html><body /></html>', 'unexpected element <html> at line 1'],
    ]) {
      it(`Given ${what}, when it is compiled or parsed, then it is refused with one problem on the definitions`, async () => {
        for (const read of [compileBpmn, parseBpmn]) {
          const error = await read(xml!).then(
            () => assert.fail('the text was read as BPMN'),
            (e: unknown) => e,
          );
          assert.ok(error instanceof ModelError);
          assert.equal(error.problems.length, 1);
          assert.equal(error.problems[0]!.elementId, 'definitions');
          assert.match(error.problems[0]!.problem, /^the file is not BPMN 2\.0 XML: /);
          if (reason) assert.equal(error.problems[0]!.problem, `the file is not BPMN 2.0 XML: ${reason}`);
          assert.equal(error.errors[0]!.keyword, 'xml');
        }
      });
    }
  });

  describe('Scenario: review steps (attest:reviewOf)', () => {
    const reviewing = (value: string) =>
      bpmn(`<process id="p" isExecutable="true">
  <startEvent id="s" />
  <userTask id="check" attest:signatureMeaning="Reviewed" attest:reviewOf="${value}" />
  <endEvent id="e" />
  <sequenceFlow id="f1" sourceRef="s" targetRef="check" />
  <sequenceFlow id="f2" sourceRef="check" targetRef="e" />
</process>`);

    it('Given a user task reviewing the record or its audit trail, when it is compiled, then its spec says which', async () => {
      for (const value of ['record', 'auditTrail']) {
        const { processes } = await compileBpmn(reviewing(value));
        assert.equal(processes[0]!.nodes.check!.userTask!.reviewOf, value);
      }
    });

    it('Given an unknown attest:reviewOf, when it is deployed, then the model is refused naming the values allowed', async () => {
      const error = await refusal(reviewing('batch'));
      assert.deepEqual(problemLines(error), [
        'check bpmn:UserTask: attest:reviewOf "batch" is not one of record, auditTrail',
      ]);
    });
  });

  describe('Scenario: steps done ahead of the flow (attest:outOfOrder, F1)', () => {
    const model = (body: string) =>
      bpmn(`<process id="p" isExecutable="true">
  <startEvent id="s" />
  ${body}
  <endEvent id="e" />
</process>`);

    it('F1: Given a user task of the process marked attest:outOfOrder, when it is compiled, then its spec allows it to be done ahead', async () => {
      const { processes } = await compileBpmn(
        model(`<userTask id="clean" attest:outOfOrder="true" />
  <sequenceFlow id="f1" sourceRef="s" targetRef="clean" />
  <sequenceFlow id="f2" sourceRef="clean" targetRef="e" />`),
      );
      assert.equal(processes[0]!.nodes.clean!.userTask!.outOfOrder, true);
    });

    it('F1: Given attest:outOfOrder inside a sub-process, on a multi-instance step or with attest:assignee, when it is deployed, then the model is refused', async () => {
      const error = await refusal(
        model(`<subProcess id="sub">
    <startEvent id="ss" />
    <userTask id="inner" attest:outOfOrder="true" />
    <endEvent id="se" />
    <sequenceFlow id="g1" sourceRef="ss" targetRef="inner" />
    <sequenceFlow id="g2" sourceRef="inner" targetRef="se" />
  </subProcess>
  <userTask id="each" attest:outOfOrder="true">
    <multiInstanceLoopCharacteristics><loopCardinality xsi:type="tFormalExpression">3</loopCardinality></multiInstanceLoopCharacteristics>
  </userTask>
  <userTask id="owned" attest:outOfOrder="true" attest:assignee="owner" />
  <sequenceFlow id="f1" sourceRef="s" targetRef="sub" />
  <sequenceFlow id="f2" sourceRef="sub" targetRef="each" />
  <sequenceFlow id="f3" sourceRef="each" targetRef="owned" />
  <sequenceFlow id="f4" sourceRef="owned" targetRef="e" />`),
      );
      assert.deepEqual(problemLines(error), [
        'inner bpmn:UserTask: attest:outOfOrder is allowed only on a step of the process itself, not inside a sub-process',
        'each bpmn:UserTask: attest:outOfOrder is not allowed on a multi-instance step: the flow will reach it more than once',
        'owned bpmn:UserTask: attest:outOfOrder is not allowed with attest:assignee: the flow names that step’s performer only when it gets there',
      ]);
    });
  });

  describe('Scenario: parsing a model only interchanged', () => {
    it('Given a model the engine would refuse, when it is parsed, then its definitions and warnings come back without checks', async () => {
      const { definitions, warnings } = await parseBpmn(await fixture('broken-structure.bpmn'));

      assert.equal((definitions as { $type: string }).$type, 'bpmn:Definitions');
      assert.ok(
        warnings.includes('lost bpmn:SequenceFlow: targetRef refers to "nowhere", which does not exist'),
      );
      assert.equal(warnings.length, 5);
    });
  });

  describe('Scenario: the attest: extension descriptor', () => {
    it('Given the designer loads the descriptor, then it names the attest namespace, the attributes and the mapping elements', () => {
      assert.equal(attestModdleDescriptor.prefix, 'attest');
      assert.equal(attestModdleDescriptor.uri, 'http://attest.dev/schema/bpmn/1.0');
      assert.deepEqual(
        attestModdleDescriptor.types.map((t) => [
          t.name,
          t.extends ?? t.superClass,
          t.properties.map((p) => p.name),
        ]),
        [
          [
            'GmpUserTask',
            ['bpmn:UserTask'],
            [
              'formKey',
              'candidateRoles',
              'qualifications',
              'signatureMeaning',
              'secondPersonVerification',
              'dueDate',
              'assignee',
              'separateFrom',
              'rejectWhen',
              'reviewOf',
              'outOfOrder',
            ],
          ],
          ['ScriptResult', ['bpmn:ScriptTask'], ['resultVariable']],
          [
            'HandledTask',
            ['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask'],
            ['type', 'retries'],
          ],
          ['FeelDecision', ['bpmn:BusinessRuleTask'], ['expression', 'resultVariable']],
          ['CorrelatedMessage', ['bpmn:Message'], ['correlationKey']],
          [
            'MultiInstanceItems',
            ['bpmn:MultiInstanceLoopCharacteristics'],
            ['collection', 'elementVariable', 'outputCollection', 'outputElement'],
          ],
          ['IoMapping', ['Element'], ['inputs', 'outputs']],
          ['Input', ['Element'], ['source', 'target']],
          ['Output', ['Element'], ['source', 'target']],
        ],
      );
    });

    it('Given a model with every attest: extension, when bpmn-moddle reads and writes it with the descriptor, then the XML keeps them', async () => {
      const xml = await fixture('tasks.bpmn');
      const moddle = new BpmnModdle({ attest: structuredClone(attestModdleDescriptor) }) as BpmnModdle & {
        toXML(element: unknown, options: { format: boolean }): Promise<{ xml: string }>;
      };
      const { rootElement, warnings } = await moddle.fromXML(xml);
      const { xml: written } = await moddle.toXML(rootElement, { format: true });

      assert.deepEqual(warnings, []);
      for (const kept of [
        /<attest:ioMapping>\s*<attest:input source="=batch.id" target="batchId" \/>\s*<attest:input source="&#34;QC&#34;" target="lab" \/>\s*<attest:output source="=response.results" target="results" \/>\s*<\/attest:ioMapping>/,
        /<serviceTask id="lims" name="Fetch results from LIMS" attest:type="lims-fetch" attest:retries="5">/,
        /<message id="documentsMessage" name="Documents received" attest:correlationKey="= batch.id" \/>/,
        /attest:expression="=if risk &#62; 5 then &#34;high&#34; else &#34;low&#34;" attest:resultVariable="riskClass"/,
        /<multiInstanceLoopCharacteristics attest:collection="=samples" attest:elementVariable="sample" attest:outputCollection="findings" attest:outputElement="=finding">/,
      ]) {
        assert.match(written, kept);
      }
      const { processes } = await compileBpmn(written);
      assert.deepEqual(processes, (await compileBpmn(xml)).processes);
    });
  });
});
