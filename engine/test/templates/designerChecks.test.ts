import assert from 'node:assert/strict';
import { InputError, type Principal } from '../../src/index.ts';
import { loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const BPMN = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="d" targetNamespace="https://attest.example/test">
  <process id="spill" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="report" />
    <userTask id="report" name="Report" attest:formKey="report" attest:candidateRoles="operator" />
    <sequenceFlow id="f2" sourceRef="report" targetRef="decide" />
${body}
  </process>
</definitions>
`;

const GATEWAY = `    <exclusiveGateway id="decide" default="f4" />
    <sequenceFlow id="f3" sourceRef="decide" targetRef="done">
      <conditionExpression xsi:type="tFormalExpression">severity = "minor" and</conditionExpression>
    </sequenceFlow>
    <sequenceFlow id="f4" sourceRef="decide" targetRef="done" />
    <endEvent id="done" />`;

const temperature = {
  type: 'measuredValue',
  key: 'temperature',
  label: 'Temperature',
  input: true,
  validate: { required: true },
  attest: {
    unit: '°C',
    decimals: 1,
    capture: 'manual',
    critical: true,
    limits: { alert: { min: 18, max: 25 }, action: { min: 15, max: 30 } },
  },
};
const form = {
  components: [
    temperature,
    {
      type: 'number',
      key: 'count',
      label: 'Count',
      input: true,
      validate: { required: true, min: 1, max: 10 },
    },
    {
      type: 'calculatedValue',
      key: 'doubled',
      label: 'Doubled',
      input: true,
      attest: { calculate: 'count * 2' },
    },
  ],
};

describe('Feature: the designer asks the engine before anything is saved', () => {
  let ctx: TestContext;
  let quinn: Principal;
  before(async () => {
    ctx = await startTestEngine();
    quinn = await loginAs(ctx.engine, 'quinn');
  });
  after(() => ctx.close());

  describe('Scenario: a model checked as a template’s process', () => {
    it('D1: Given an unsupported element and an invalid FEEL condition, then each is named at its element', async () => {
      const xml = BPMN(`${GATEWAY}\n    <transaction id="tx" name="Pay" />`);
      const { ok, problems } = await ctx.engine.designer.checkProcess(quinn, { xml });
      assert.equal(ok, false);
      const at = (id: string) => problems.find((p) => p.elementId === id);
      assert.deepEqual(
        { ...at('tx'), problem: undefined },
        {
          elementId: 'tx',
          elementType: 'bpmn:Transaction',
          name: 'Pay',
          keyword: 'unsupported',
          problem: undefined,
        },
      );
      assert.deepEqual([at('f3')?.elementType, at('f3')?.keyword], ['bpmn:SequenceFlow', 'feel']);
    });

    it('D1: Given the template’s forms, then a user task whose form is not among them is a problem', async () => {
      const xml = BPMN(
        `    <sequenceFlow id="f5" sourceRef="decide" targetRef="done" />\n    <endEvent id="done" />`,
      ).replace(
        '<sequenceFlow id="f5" sourceRef="decide"',
        '<task id="decide" />\n    <sequenceFlow id="f5" sourceRef="decide"',
      );
      assert.deepEqual(await ctx.engine.designer.checkProcess(quinn, { xml }), { ok: true, problems: [] });
      const checked = await ctx.engine.designer.checkProcess(quinn, { xml, forms: { closure: {} } });
      assert.deepEqual(checked.problems, [
        {
          elementId: 'report',
          elementType: 'bpmn:UserTask',
          name: 'Report',
          keyword: 'reference',
          problem: 'uses the form "report", which is not in the package\'s forms folder',
        },
      ]);
    });

    it('D1: Given text that is not XML, then one problem names the file as a whole', async () => {
      const { ok, problems } = await ctx.engine.designer.checkProcess(quinn, { xml: '<definitions' });
      assert.equal(ok, false);
      assert.equal(problems.length, 1);
      assert.deepEqual([problems[0]!.elementId, problems[0]!.keyword], [null, 'xml']);
    });
  });

  describe('Scenario: a form compiled as an import compiles it', () => {
    it('E4: Given custom JavaScript validation, then the component is named; given a valid form, its fields', () => {
      const scripted = ctx.engine.designer.checkForm(quinn, {
        components: [{ type: 'textfield', key: 'lot', label: 'Lot', validate: { custom: 'valid = true' } }],
      });
      assert.deepEqual(scripted, {
        ok: false,
        problems: [
          {
            pointer: '/components/0',
            keyword: 'unsupported',
            message: 'Component "lot": custom JavaScript validation is not supported',
          },
        ],
        fields: [],
      });
      const checked = ctx.engine.designer.checkForm(quinn, form);
      assert.equal(checked.ok, true);
      assert.deepEqual(checked.fields[0], {
        key: 'temperature',
        pointer: '/temperature',
        label: 'Temperature',
        type: 'measuredValue',
        unit: '°C',
        required: true,
        critical: true,
        calculate: null,
        limits: { alert: { min: 18, max: 25 }, action: { min: 15, max: 30 }, reject: false, comment: false },
      });
      assert.equal(checked.fields[2]!.calculate, 'count * 2');
    });
  });

  describe('Scenario: sample values through the submission pipeline', () => {
    it('F4: Given a value out of range and one outside its action limits, then an error and an exception', () => {
      const preview = ctx.engine.designer.previewForm(quinn, {
        definition: form,
        data: { temperature: 31.04, count: 11 },
      });
      assert.equal(preview.ok, false);
      assert.deepEqual(
        preview.errors.map((e) => [e.pointer, e.keyword]),
        [['/count', 'maximum']],
      );
      assert.deepEqual(preview.exceptions, [
        {
          pointer: '/temperature',
          type: 'limit_breach',
          severity: 'high',
          blocking: true,
          message: 'Temperature (°C) 31.0 is above the action limit 30.0',
          commentRequired: false,
        },
      ]);
      assert.deepEqual(preview.data, { temperature: 31, count: 11, doubled: 22 });
    });

    it('E7: Given a required value left blank, then completion would be refused at its pointer', () => {
      const preview = ctx.engine.designer.previewForm(quinn, { definition: form, data: { temperature: 20 } });
      assert.deepEqual(
        preview.errors.map((e) => [e.pointer, e.keyword]),
        [['/count', 'required']],
      );
      assert.deepEqual(preview.exceptions, []);
    });

    it('Given a definition that does not compile, then the preview is refused with its problems', () => {
      assert.throws(
        () => ctx.engine.designer.previewForm(quinn, { definition: { components: 'none' }, data: {} }),
        (error: unknown) => error instanceof InputError && error.errors[0]!.pointer === '/components',
      );
    });
  });

  it('A2: an operator may not ask: the designer is for those who author templates', async () => {
    const olivia = await loginAs(ctx.engine, 'olivia');
    await assert.rejects(ctx.engine.designer.checkProcess(olivia, { xml: BPMN(GATEWAY) }), /may not author/);
    assert.throws(() => ctx.engine.designer.checkForm(olivia, form), /may not author/);
    assert.throws(
      () => ctx.engine.designer.previewForm(olivia, { definition: form, data: {} }),
      /may not author/,
    );
  });
});
