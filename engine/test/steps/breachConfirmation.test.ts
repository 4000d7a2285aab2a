import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError, NotAllowedError, type Principal } from '../../src/index.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const granulation = () =>
  JSON.parse(readFileSync(new URL('../forms/fixtures/granulation.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
const model = (id: string, formKey: string, signed: boolean) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:attest="http://attest.dev/schema/bpmn/1.0" id="${id}-d" targetNamespace="http://attest.dev/test">
  <bpmn:process id="${id}" name="Drying ${id}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="dry" />
    <bpmn:userTask id="dry" name="Record drying" attest:formKey="${formKey}"${signed ? ' attest:signatureMeaning="Performed"' : ''} />
    <bpmn:sequenceFlow id="f2" sourceRef="dry" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

/** The granulation form with the inlet temperature's limits asking for the operator's comment. */
function commented(): Record<string, unknown> {
  const definition = granulation();
  const walk = (components: Record<string, unknown>[]) => {
    for (const c of components) {
      if (c.key === 'inletTemperature') {
        const attest = c.attest as { limits: Record<string, unknown> };
        attest.limits.comment = true;
      }
      for (const k of ['components', 'columns'])
        if (Array.isArray(c[k])) walk(c[k] as Record<string, unknown>[]);
    }
  };
  walk(definition.components as Record<string, unknown>[]);
  return definition;
}

async function refused(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an input error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('Feature: the operator confirms values outside their limits, with a comment where the template asks', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  before(async () => {
    ctx = await startTestEngine();
    [olivia, quinn] = [await loginAs(ctx.engine, 'olivia'), await loginAs(ctx.engine, 'quinn')];
    await ctx.engine.forms.save(quinn, { key: 'drying', definition: granulation() });
    await ctx.engine.forms.save(quinn, { key: 'drying-commented', definition: commented() });
    await ctx.engine.processes.deploy(quinn, model('plain', 'drying', false));
    await ctx.engine.processes.deploy(quinn, model('commented', 'drying-commented', true));
  });
  after(() => ctx.close());

  const start = async (process: string) => {
    const started = await ctx.engine.processes.start(olivia, process);
    return started.openTasks[0]!.id;
  };
  const out = { inletTemperature: 66.5, lossOnDrying: 1.2 };

  it('F4: a completion over a value outside its limits is refused until the operator confirms it; nothing is written', async () => {
    const task = await start('plain');
    const check = await ctx.engine.tasks.check(olivia, task, { data: out });
    assert.deepEqual(
      check.exceptions.map((e) => [e.pointer, e.type, e.severity, e.blocking, e.commentRequired]),
      [['/inletTemperature', 'limit_breach', 'high', true, false]],
    );
    assert.equal(check.ok, true);

    const error = await refused(ctx.engine.tasks.complete(olivia, task, { data: out }));
    assert.match(
      error.message,
      /outside the limits and not confirmed: Inlet air temperature \(°C\) 66\.5 is above the action limit 65/,
    );
    assert.deepEqual(
      error.errors.map((e) => [e.pointer, e.keyword]),
      [['/inletTemperature', 'confirmation']],
    );
    // Confirming another value does not confirm this one.
    await refused(ctx.engine.tasks.complete(olivia, task, { data: out, confirmed: ['/lossOnDrying'] }));
    const form = await ctx.engine.tasks.form(olivia, task);
    assert.equal(form.status, 'open');
    assert.deepEqual([form.values, form.exceptions], [[], []], 'nothing was written');

    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: out,
      confirmed: ['/inletTemperature'],
      comments: { '/inletTemperature': '  Heater overshoot after restart  ' },
    });
    assert.equal(done.status, 'completed');
    const [exception] = (await ctx.engine.tasks.form(olivia, task)).exceptions;
    assert.deepEqual(
      [exception!.pointer, exception!.blocking, exception!.comment],
      ['/inletTemperature', true, 'Heater overshoot after restart'],
    );
  });

  it('F4: a value within its limits needs no confirmation, and a comment on it is refused rather than lost', async () => {
    const task = await start('plain');
    const within = { inletTemperature: 60, lossOnDrying: 1.2 };
    assert.deepEqual((await ctx.engine.tasks.check(olivia, task, { data: within })).exceptions, []);
    const error = await refused(
      ctx.engine.tasks.complete(olivia, task, {
        data: within,
        comments: { '/inletTemperature': 'all fine' },
      }),
    );
    assert.deepEqual(
      error.errors.map((e) => [e.pointer, e.keyword]),
      [['/comments/inletTemperature', 'comment']],
    );
    const done = await ctx.engine.tasks.complete(olivia, task, { data: within });
    assert.equal(done.status, 'completed');
  });

  it('F4: where the template asks, the comment is required before the signed step completes, and it is kept in the audit trail and the dossier', async () => {
    const task = await start('commented');
    const check = await ctx.engine.tasks.check(olivia, task, { data: out });
    assert.deepEqual(
      check.exceptions.map((e) => [e.pointer, e.commentRequired]),
      [['/inletTemperature', true]],
    );
    const signature = { password: demoPassword('olivia') };
    for (const comments of [undefined, { '/inletTemperature': '   ' }]) {
      const error = await refused(
        ctx.engine.tasks.complete(olivia, task, {
          data: out,
          confirmed: ['/inletTemperature'],
          ...(comments && { comments }),
          signature,
        }),
      );
      assert.deepEqual(
        error.errors.map((e) => [e.pointer, e.keyword]),
        [['/comments/inletTemperature', 'required']],
      );
      assert.match(error.message, /the template asks for your comment/);
    }
    assert.equal((await ctx.engine.tasks.form(olivia, task)).status, 'open', 'nothing was written');

    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: out,
      confirmed: ['/inletTemperature'],
      comments: { '/inletTemperature': 'Probe recalibrated; product temperature stayed at 61 °C' },
      signature,
    });
    assert.equal(done.status, 'completed');
    const trail = await ctx.engine.audit.trail(quinn, { recordId: done.id });
    const raised = trail.find((e) => e.type === 'exception.raised')!;
    assert.equal(
      (raised.payload.details as { comment: string }).comment,
      'Probe recalibrated; product temperature stayed at 61 °C',
    );
  });

  it('F4: the check writes nothing and is refused to someone who may not work the task', async () => {
    const started = await ctx.engine.processes.start(olivia, 'plain');
    const task = started.openTasks[0]!.id;
    const before = await ctx.engine.audit.trail(quinn, { recordId: started.id });
    await ctx.engine.tasks.check(olivia, task, { data: out });
    assert.equal((await ctx.engine.audit.trail(quinn, { recordId: started.id })).length, before.length);
    const adrian = await loginAs(ctx.engine, 'adrian');
    await assert.rejects(ctx.engine.tasks.check(adrian, task, { data: out }), NotAllowedError);
    const check = await ctx.engine.tasks.check(olivia, task, { data: { inletTemperature: 'hot' } });
    assert.equal(check.ok, false);
    assert.ok(check.errors.some((e) => e.pointer === '/inletTemperature'));
  });
});
