import type { ModdleElement } from 'bpmn-moddle';
import { isForbiddenKey } from '../../kernel/forbiddenKeys.ts';
import { feelSyntaxError, feelText } from '../../feel/feelCheck.ts';
import { feelLimitProblem } from '../../feel/feelLimits.ts';
import type { ProcessCompiler } from './compile.ts';
import type { FlowNode, MultiInstanceSpec, TimerSpec } from './graph.ts';
import { reference, text, trimmed } from './parse.ts';
import {
  COMPLETION,
  CYCLE_PLACES,
  FEEL_LANGUAGE,
  ISO_CYCLE,
  ISO_DURATION,
  LOOP_CARDINALITY,
  LOOPS,
  TIMER_LITERALS,
  TIMES,
} from './rules.ts';

// The expressions of a model (FEEL conditions, timers, loops, scripts) and the variables it writes.

/**
 * A timer's time: an ISO 8601 duration, date and time or repetition as written (`PT8H`,
 * `2026-12-01T08:00Z`, `R3/PT1H`), or FEEL after a leading `=`. Only some events may repeat.
 */
export function timerOf(
  c: ProcessCompiler,
  element: ModdleElement,
  definition: ModdleElement,
  cycles: boolean,
): TimerSpec | null {
  const times = (Object.keys(TIMES) as (keyof typeof TIMES)[]).filter((t) => reference(definition, t));
  const [time, ...more] = times;
  if (!time || more.length > 0) {
    c.report(element, 'structure', 'a timer event needs exactly one timeDuration, timeDate or timeCycle');
    return null;
  }
  const type = TIMES[time];
  if (type === 'cycle' && !cycles) {
    c.report(element, 'structure', CYCLE_PLACES);
    return null;
  }
  const body = trimmed(reference(definition, time)!, 'body') ?? '';
  if (body.startsWith('=')) {
    const expression = feelText(body);
    checkFeel(c, element, 'its timer', expression);
    return { type, expression };
  }
  const literal =
    type === 'duration'
      ? ISO_DURATION.test(body)
      : type === 'cycle'
        ? ISO_CYCLE.test(body)
        : !Number.isNaN(Date.parse(body)) && /\d{4}-\d\d-\d\dT/.test(body);
  if (!literal) c.report(element, 'value', `its timer "${body}" is not ${TIMER_LITERALS[type]}`);
  return { type, expression: JSON.stringify(body) };
}

/**
 * A multi-instance activity runs once per item of `attest:collection` (FEEL), or loopCardinality
 * times; the BPMN data-input references are not used.
 */
export function multiInstanceOf(c: ProcessCompiler, element: ModdleElement): MultiInstanceSpec | null {
  const loop = reference(element, 'loopCharacteristics');
  if (!loop) return null;
  if (loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    c.report(element, 'unsupported', LOOPS[loop.$type] ?? `${loop.$type} is not supported by the engine`);
    return null;
  }
  const feel = (property: string) => {
    const expression = feelText(text(loop, property) ?? '') || null;
    if (expression) checkFeel(c, element, `attest:${property}`, expression);
    return expression;
  };
  const cardinality = reference(loop, 'loopCardinality');
  const spec: MultiInstanceSpec = {
    sequential: loop.isSequential === true,
    collection: feel('collection'),
    cardinality: cardinality ? expression(c, element, cardinality, LOOP_CARDINALITY) : null,
    elementVariable: variable(c, element, trimmed(loop, 'elementVariable')),
    completionCondition: expression(c, element, reference(loop, 'completionCondition'), COMPLETION),
    outputCollection: variable(c, element, trimmed(loop, 'outputCollection')),
    outputElement: feel('outputElement'),
  };
  if (!spec.collection && !cardinality) {
    c.report(
      element,
      'structure',
      'a multi-instance activity needs attest:collection or a loopCardinality saying how many times it runs',
    );
  }
  if (spec.outputElement && !spec.outputCollection) {
    c.report(element, 'structure', 'attest:outputElement needs attest:outputCollection to collect it in');
  }
  return spec;
}

/** A FEEL expression in a BPMN expression element: a condition, a loop cardinality. */
export function expression(
  c: ProcessCompiler,
  owner: ModdleElement,
  expression: ModdleElement | undefined,
  what: { one: string; many: string },
): string | null {
  if (!expression) return null;
  if (expression.$type !== 'bpmn:FormalExpression') {
    // A plain bpmn:Expression is natural-language text by the specification, not executable.
    c.report(owner, 'unsupported', `${what.one} must be a formal expression (xsi:type="tFormalExpression")`);
    return null;
  }
  const language = text(expression, 'language') ?? c.context.expressionLanguage;
  if (language !== null && !FEEL_LANGUAGE.test(language.trim())) {
    c.report(owner, 'unsupported', `${what.many} in ${language} are not supported; write them in FEEL`);
    return null;
  }
  const body = feelText(text(expression, 'body') ?? '');
  if (body === '') {
    c.report(owner, 'value', `${what.one} is empty`);
    return null;
  }
  checkFeel(c, owner, what.one, body);
  return body;
}

export function script(c: ProcessCompiler, element: ModdleElement): FlowNode['script'] {
  const format = trimmed(element, 'scriptFormat');
  if (format?.toLowerCase() !== 'feel') {
    const written = format === null ? 'without a scriptFormat' : `in ${format}`;
    c.report(
      element,
      'unsupported',
      `scripts ${written} are not supported; write the script in FEEL (scriptFormat="feel")`,
    );
  }
  const expression = feelText(text(element, 'script') ?? '');
  if (expression === '') c.report(element, 'value', 'the script is empty');
  else if (format?.toLowerCase() === 'feel') checkFeel(c, element, 'the script', expression);
  return { expression, resultVariable: variable(c, element, trimmed(element, 'resultVariable')) };
}

/** A variable the process writes: never a name that reaches prototypes (`__proto__`…). */
export function variable(c: ProcessCompiler, element: ModdleElement, name: string | null): string | null {
  if (name !== null && isForbiddenKey(name)) {
    c.report(element, 'value', `"${name}" cannot be the name of a variable`);
  }
  return name;
}

export function checkFeel(
  c: ProcessCompiler,
  element: ModdleElement,
  what: string,
  expression: string,
): void {
  const error = feelSyntaxError(expression);
  const shown = expression.length > 60 ? `${expression.slice(0, 59)}…` : expression;
  if (error) {
    c.report(element, 'feel', `${what} "${shown}" is not valid FEEL: ${error.message}`);
    return;
  }
  const limit = feelLimitProblem(expression);
  if (limit) c.report(element, 'feel', `${what} "${shown}" exceeds the FEEL limits: ${limit}`);
}
