import assert from 'node:assert/strict';
import { blankProcessXml } from '../../src/modeler/blankProcess.ts';
import { compileProblems } from './support/bpmn.ts';

describe('Feature: a new process starts from a blank model', () => {
  it('Scenario: the blank model of a new template compiles, named as the template is', async () => {
    const xml = blankProcessXml('batch-release', 'Batch release & "QP" sign-off');
    assert.deepEqual(await compileProblems(xml), []);
    assert.match(xml, /name="Batch release &amp; &quot;QP&quot; sign-off"/);
  });
});
