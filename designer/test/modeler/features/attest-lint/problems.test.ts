import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  localProblems,
  mergeProblems,
  problemView,
  type Problem,
} from '../../../../src/modeler/features/attest-lint/problems.ts';
import type { ModdleLike } from '../../../../src/modeler/unsupported.ts';
import { compileProblems, parse } from '../../support/bpmn.ts';

const PASTED = new URL('../attest-rules/unsupported.bpmn', import.meta.url);

describe("Feature: the lint shows the engine's problems on the diagram", () => {
  it('Scenario: a pasted diagram with unsupported elements names each one with its reason at once', async () => {
    const { elementsById } = await parse(await readFile(PASTED, 'utf8'));
    const local = localProblems(Object.values(elementsById) as unknown as ModdleLike[]);
    assert.deepEqual(
      local.map((p) => [p.elementId, p.keyword, p.problem]),
      [
        [
          'complex',
          'unsupported',
          'complex gateways are not supported by the engine; use an exclusive, inclusive or parallel gateway',
        ],
        [
          'repeat',
          'unsupported',
          'loops are not supported by the engine; use multi-instance or a gateway that leads back',
        ],
        [
          'whenWarm',
          'unsupported',
          'conditional events are not supported by the engine; use a gateway with a condition',
        ],
        ['booking', 'unsupported', 'transactions are not supported by the engine; use a sub-process'],
      ],
    );
    assert.equal(local[0]!.name, 'Two of three');
  });

  it("Scenario: the server's problems join the local ones, without naming a refused element twice", async () => {
    const xml = await readFile(PASTED, 'utf8');
    const { elementsById } = await parse(xml);
    const local = localProblems(Object.values(elementsById) as unknown as ModdleLike[]);
    const server = await compileProblems(xml);
    const merged = mergeProblems(local, server);
    for (const refused of ['complex', 'repeat', 'whenWarm', 'booking']) {
      const about = merged.filter((p) => p.elementId === refused && p.keyword === 'unsupported');
      assert.equal(about.length, 1, `${refused}: ${JSON.stringify(about)}`);
    }
    // What only the server knows is kept: a timer without its time, unreachable elements.
    assert.ok(merged.some((p) => p.elementId === 'after1h' && /exactly one timeDuration/.test(p.problem)));
    assert.ok(merged.some((p) => p.elementId === 'weigh' && /cannot be reached/.test(p.problem)));
  });

  it('Scenario: problems go on the elements the diagram draws; the rest go to the list', () => {
    const problems: Problem[] = [
      {
        elementId: 'weigh',
        elementType: 'bpmn:UserTask',
        name: 'Weigh',
        keyword: 'structure',
        problem: 'cannot be reached from a start event',
      },
      {
        elementId: 'weigh',
        elementType: 'bpmn:UserTask',
        name: 'Weigh',
        keyword: 'value',
        problem: 'attest:rejectWhen needs attest:signatureMeaning',
      },
      {
        elementId: 'weigh',
        elementType: 'bpmn:UserTask',
        name: 'Weigh',
        keyword: 'structure',
        problem: 'cannot be reached from a start event',
      },
      {
        elementId: 'definitions',
        elementType: 'bpmn:Definitions',
        name: null,
        keyword: 'structure',
        problem: 'the file has no executable process (isExecutable="true")',
      },
      {
        elementId: 'sampleReceived',
        elementType: 'bpmn:Message',
        name: null,
        keyword: 'value',
        problem: 'a message needs a name',
      },
      {
        elementId: 'deviation',
        elementType: 'bpmn:Process',
        name: 'Deviation',
        keyword: 'structure',
        problem: 'has no start event',
      },
      {
        elementId: null,
        elementType: 'bpmn:Definitions',
        name: null,
        keyword: 'xml',
        problem: 'the file is not BPMN 2.0 XML',
      },
    ];
    const drawn = new Set(['weigh']);
    const view = problemView(problems, (id) => drawn.has(id));
    assert.deepEqual(
      [...view.byElement],
      [
        [
          'weigh',
          ['cannot be reached from a start event', 'attest:rejectWhen needs attest:signatureMeaning'],
        ],
      ],
    );
    assert.deepEqual(
      view.general.map((g) => g.text),
      [
        'The model: the file has no executable process (isExecutable="true")',
        'Message sampleReceived: a message needs a name',
        'Process "Deviation": has no start event',
        'The model: the file is not BPMN 2.0 XML',
      ],
    );
    assert.equal(view.problems.length, problems.length);
  });

  it('Scenario: nothing to show when the model is clean', () => {
    const view = problemView([], () => true);
    assert.equal(view.byElement.size, 0);
    assert.deepEqual(view.general, []);
  });
});
