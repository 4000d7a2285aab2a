import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { attestModdleDescriptor, compileBpmn, ModelError, parseBpmn } from '../../src/bpmn/compile.ts';
import type { ProcessGraph } from '../../src/bpmn/graph.ts';
import { InputError } from '../../src/errors.ts';

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
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="https://attest.example/test">
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
      assert.equal(graph.nodes.stop!.terminate, true);
      assert.equal(graph.nodes.deviation!.terminate, false);
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
      const error = await refusal(bpmn(process('first', true) + process('second', true, 'receiveTask')));

      assert.deepEqual(problemLines(error), ['secondWork bpmn:ReceiveTask: not supported by the engine']);
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
          ['route', 'bpmn:InclusiveGateway'],
          ['lims', 'bpmn:ServiceTask'],
          ['wait', 'bpmn:IntermediateCatchEvent'],
          ['merge', 'bpmn:ComplexGateway'],
          ['retest', 'bpmn:SubProcess'],
          ['notify', 'bpmn:SendTask'],
          ['release', 'bpmn:CallActivity'],
        ],
      );
      assert.deepEqual(problemLines(error).slice(0, 3), [
        'analyse bpmn:UserTask: multi-instance activities are not supported by the engine',
        'escalated bpmn:EndEvent: bpmn:EscalationEventDefinition is not supported by the engine',
        'route bpmn:InclusiveGateway: not supported by the engine',
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
        message: 'bpmn:InclusiveGateway: not supported by the engine',
      });
      assert.match(
        error.message,
        /^The model cannot be deployed: 9 problems \(analyse bpmn:UserTask: multi-instance activities are not supported by the engine; .*release bpmn:CallActivity: not supported by the engine\)$/,
      );
    });

    it('Given a model with more than ten problems, when it is refused, then the message lists ten and counts the rest', async () => {
      const tasks = Array.from({ length: 12 }, (_, i) => `<serviceTask id="s${i}" />`).join('');
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

    it('Given a process without a none start event, when it is compiled, then the process is named', async () => {
      const error = await refusal(await fixture('no-start.bpmn'));

      assert.deepEqual(error.problems, [
        {
          elementId: 'headless',
          elementType: 'bpmn:Process',
          name: null,
          problem: 'has no none start event (a start event without a trigger)',
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
    it('Given the designer loads the descriptor, then it names the attest namespace and the task attributes', () => {
      assert.equal(attestModdleDescriptor.prefix, 'attest');
      assert.equal(attestModdleDescriptor.uri, 'http://attest.dev/schema/bpmn/1.0');
      assert.deepEqual(
        attestModdleDescriptor.types.map((t) => [t.extends, t.properties.map((p) => p.name)]),
        [
          [
            ['bpmn:UserTask'],
            [
              'formKey',
              'candidateRoles',
              'qualifications',
              'signatureMeaning',
              'secondPersonVerification',
              'dueDate',
            ],
          ],
          [['bpmn:ScriptTask'], ['resultVariable']],
        ],
      );
    });
  });
});
