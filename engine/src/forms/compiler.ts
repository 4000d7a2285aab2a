import { feelSyntaxError } from '../feel/feelCheck.ts';
import { feelLimitProblem } from '../feel/feelLimits.ts';
import { InputError, type FieldError } from '../kernel/errors.ts';
import { FORBIDDEN_KEYS, findForbiddenKey, isForbiddenKey } from '../kernel/forbiddenKeys.ts';
import { INSTRUCTION_TAGS, sanitizeInstruction } from './sanitize.ts';
import type {
  Capture,
  CompiledForm,
  Condition,
  FieldSpec,
  FormioComponent,
  FormioDefinition,
  JsonSchema,
  Rounding,
  ValueType,
  Visibility,
} from './types.ts';
import { checkIssues } from './gateOptions.ts';
import { isObject } from '../kernel/isObject.ts';
import { NUMERIC, readAttestOptions } from './gmpOptions.ts';

/** A form refused at import: every problem, each naming the component and what it cannot have. */
export class FormError extends InputError {
  constructor(errors: FieldError[]) {
    const listed = errors.slice(0, 10).map((e) => e.message);
    if (errors.length > 10) listed.push(`and ${errors.length - 10} more`);
    super(`The form cannot be imported: ${listed.join('; ')}`, errors);
  }
}

const LAYOUT = new Set(['panel', 'fieldset', 'well', 'columns', 'tabs']);
const TEXT = new Set(['textfield', 'textarea', 'materialLot', 'equipmentId']);
const CHOICES = new Set(['select', 'radio', 'selectboxes']);
const SUPPORTED = new Set([
  ...LAYOUT,
  ...NUMERIC,
  ...TEXT,
  ...CHOICES,
  'checkbox',
  'datetime',
  'day',
  'time',
  'email',
  'url',
  'container',
  'datagrid',
  'editgrid',
  'file',
  'content',
  'htmlelement',
  'button',
]);
const OPERATORS = new Set<Condition['operator']>([
  'isEqual',
  'isNotEqual',
  'isEmpty',
  'isNotEmpty',
  'lessThan',
  'lessThanOrEqual',
  'greaterThan',
  'greaterThanOrEqual',
]);
const KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/;
const TIME = '^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$';
const SCHEMA_URI = 'https://json-schema.org/draft/2020-12/schema';

const filled = (v: unknown) =>
  v !== undefined &&
  v !== null &&
  v !== '' &&
  v !== false &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

/** A field whose conditional still names other components by key, resolved once all are known. */
interface Pending {
  field: FieldSpec;
  rules: { raw: Record<string, unknown>; at: string; key: string }[];
  /** The object schema holding the field's `if/then`: the root, or the row of its grid. */
  holder: JsonSchema;
  /** Path of that holder from the root. */
  holderPath: string[];
}

interface Scope {
  /** Data path of the object the components write into. */
  path: string[];
  grid: string[] | null;
  /** The schema of that object. */
  object: JsonSchema;
  /** The schema where conditionals of fields in it go: the root or the grid row. */
  holder: JsonSchema;
  holderPath: string[];
  /** Conditionals of layout parents, with where they were written. */
  rules: Pending['rules'];
}

class Compiler {
  readonly errors: FieldError[] = [];
  readonly fields: FieldSpec[] = [];
  readonly pending: Pending[] = [];
  readonly ignoredKeys: string[] = [];
  private readonly byKey = new Map<string, FieldSpec[]>();
  private readonly byPath = new Map<string, FieldSpec>();

  refuse(at: string, key: string, problem: string, keyword = 'unsupported'): void {
    this.errors.push({ pointer: at, keyword, message: `Component "${key}": ${problem}` });
  }

  /** Walks components in document order, writing their schemas into the scope's object. */
  walk(components: unknown, at: string, scope: Scope, render: FormioComponent[]): void {
    if (components === undefined) return;
    if (!Array.isArray(components)) {
      this.errors.push({ pointer: at, keyword: 'type', message: 'components must be a list' });
      return;
    }
    components.forEach((raw, index) => {
      const here = `${at}/${index}`;
      if (!isObject(raw)) {
        this.errors.push({ pointer: here, keyword: 'type', message: 'a component must be an object' });
        return;
      }
      const copy: FormioComponent = { ...raw };
      render.push(copy);
      this.component(raw as FormioComponent, here, scope, copy);
    });
  }

  private component(c: FormioComponent, at: string, scope: Scope, copy: FormioComponent): void {
    const type = typeof c.type === 'string' ? c.type : '';
    const key = typeof c.key === 'string' ? c.key : '';
    const name = key || `(${type || 'untyped'} at ${at})`;
    if (!SUPPORTED.has(type)) {
      this.refuse(at, name, `the component type "${type || '(none)'}" is not supported`);
      return;
    }
    this.refuseJavaScript(c, at, name);
    const rules = [...scope.rules, ...this.ownRule(c, at, name)];

    if (type === 'button') {
      if (c.action !== undefined && c.action !== 'submit')
        this.refuse(at, name, `a button with the action "${String(c.action)}" is not supported`);
      if (key) this.ignoredKeys.push(key);
      return;
    }
    if (type === 'content' || type === 'htmlelement') {
      this.instruction(c, at, name, copy);
      return;
    }
    if (LAYOUT.has(type)) {
      this.layout(c, type, at, name, { ...scope, rules }, copy);
      return;
    }
    if (isForbiddenKey(key)) {
      this.refuse(at, name, `the key cannot be ${key}`, 'key');
      return;
    }
    if (!KEY.test(key)) {
      this.refuse(
        at,
        name,
        'the key must start with a letter or _ and hold only letters, digits, _ and - (up to 100)',
        'key',
      );
      return;
    }
    const path = [...scope.path, key];
    const dotted = path.join('.');
    if (this.byPath.has(dotted)) {
      this.refuse(at, name, `the key is used twice for ${dotted}`, 'key');
      return;
    }
    if (c.multiple === true && !['select', 'file'].includes(type))
      this.refuse(
        at,
        name,
        'several values in one field ("multiple") are only supported for select and file',
      );
    if (c.hidden === true) this.refuse(at, name, 'hidden input fields are not supported; use a conditional');
    if (c.clearOnHide === false)
      this.refuse(at, name, 'keeping values of hidden fields is not supported; hidden values are cleared');
    if (c.persistent === false || c.persistent === 'client-only')
      this.refuse(at, name, 'fields that are not stored ("persistent") are not supported');
    if (c.unique === true) this.refuse(at, name, 'values unique across submissions are not supported');
    if (c.validate?.minWords !== undefined || c.validate?.maxWords !== undefined)
      this.refuse(at, name, 'word counts are not supported; use a length');

    const field = this.field(c, type, key, path, scope);
    const schema = this.valueSchema(c, type, at, name, field, copy);
    if (type === 'container' || type === 'datagrid' || type === 'editgrid') {
      this.nested(c, type, at, field, schema, scope, rules, copy);
    }
    this.fields.push(field);
    this.byPath.set(dotted, field);
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), field]);
    const properties = scope.object.properties as Record<string, JsonSchema>;
    properties[key] = schema;
    if (rules.length > 0) {
      this.pending.push({ field, rules, holder: scope.holder, holderPath: scope.holderPath });
    } else if (field.required) {
      (scope.object.required as string[]).push(key);
    }
  }

  /** The JavaScript a Form.io author can write into a form: refused, each naming what it is. */
  private refuseJavaScript(c: FormioComponent, at: string, name: string): void {
    const v = c.validate ?? {};
    if (filled(v.custom)) this.refuse(at, name, 'custom JavaScript validation is not supported');
    if (filled(v.json)) this.refuse(at, name, 'JSON Logic validation is not supported');
    if (filled(c.customConditional)) this.refuse(at, name, 'a JavaScript conditional is not supported');
    if (isObject(c.conditional) && filled(c.conditional.json))
      this.refuse(at, name, 'a JSON Logic conditional is not supported; use a simple conditional');
    if (filled(c.calculateValue))
      this.refuse(
        at,
        name,
        'a JavaScript calculated value is not supported; use a calculated value with a FEEL expression',
      );
    if (filled(c.customDefaultValue)) this.refuse(at, name, 'a JavaScript default value is not supported');
    if (isObject(c.datePicker) && filled(c.datePicker.disableFunction))
      this.refuse(at, name, 'a JavaScript date filter (datePicker.disableFunction) is not supported');
    // Free HTML attributes would put event handlers (onclick…) into the step view's markup.
    if (filled(c.attributes)) this.refuse(at, name, 'custom HTML attributes are not supported');
    // A rich-text or code editor is loaded from a CDN, which the app's Content-Security-Policy refuses.
    if (filled(c.editor) && c.editor !== 'none')
      this.refuse(at, name, 'a rich-text or code editor is not supported; use a plain text area');
    if (Array.isArray(c.logic) && c.logic.length > 0) {
      const js = c.logic.some(
        (l) =>
          isObject(l) &&
          ((isObject(l.trigger) && ['javascript', 'json'].includes(String(l.trigger.type))) ||
            (Array.isArray(l.actions) &&
              l.actions.some(
                (a) => isObject(a) && (['value', 'customAction'].includes(String(a.type)) || filled(a.value)),
              ))),
      );
      this.refuse(
        at,
        name,
        js
          ? 'logic with JavaScript is not supported'
          : 'logic actions are not supported; use a simple conditional or a FEEL calculation',
      );
    }
    const source = c.dataSrc;
    if (source !== undefined && source !== 'values')
      this.refuse(
        at,
        name,
        `the data source "${String(source)}" is not supported; list the values in the form`,
      );
  }

  /** A component's own simple conditional, kept raw until every key is known. */
  private ownRule(c: FormioComponent, at: string, name: string): Pending['rules'] {
    const raw = c.conditional;
    if (!isObject(raw)) return [];
    const conditions = Array.isArray(raw.conditions) ? raw.conditions : [];
    const legacy = typeof raw.when === 'string' && raw.when !== '';
    if (conditions.length === 0 && !legacy) return [];
    if (raw.show === null || raw.show === undefined || raw.show === '') {
      this.refuse(at, name, 'a conditional must say whether it shows or hides the component');
      return [];
    }
    return [{ raw, at: `${at}/conditional`, key: name }];
  }

  private field(c: FormioComponent, type: string, key: string, path: string[], scope: Scope): FieldSpec {
    const a = isObject(c.attest) ? c.attest : {};
    const label = typeof c.label === 'string' && c.label.trim() ? c.label.trim() : key;
    return {
      key,
      path,
      pointer: `/${path.join('/')}`,
      label,
      type,
      valueType: 'string',
      required: c.validate?.required === true,
      grid: scope.grid,
      visibility: [],
      unit: typeof a.unit === 'string' ? a.unit : type === 'currency' ? String(c.currency ?? 'USD') : null,
      decimals: typeof a.decimals === 'number' ? a.decimals : null,
      significantDigits: typeof a.significantDigits === 'number' ? a.significantDigits : null,
      rounding: (a.rounding as Rounding | undefined) ?? 'halfUp',
      limits: null,
      calculate: null,
      capture: (a.capture as Capture | undefined) ?? 'either',
      device: null,
      critical: a.critical === true,
      naAllowed: a.naAllowed === true,
      reasonForChange: a.reasonForChange === true && path.length === 1,
      identifies: type === 'materialLot' ? 'materialLot' : type === 'equipmentId' ? 'equipment' : null,
      material: null,
      issues: null,
      equipmentAction: type === 'equipmentId' ? 'use' : null,
      passed: null,
      choices: null,
      items: false,
    };
  }

  /** The JSON Schema of one input's value, with its GMP options checked and recorded. */
  private valueSchema(
    c: FormioComponent,
    type: string,
    at: string,
    name: string,
    field: FieldSpec,
    copy: FormioComponent,
  ): JsonSchema {
    const v = c.validate ?? {};
    readAttestOptions(this, c, type, at, name, field, copy);
    let schema: JsonSchema;
    let valueType: ValueType;
    const num = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : undefined);
    if (NUMERIC.has(type)) {
      valueType = 'number';
      schema = { type: 'number' };
      if (num('min') !== undefined) schema.minimum = num('min');
      if (num('max') !== undefined) schema.maximum = num('max');
      if (type === 'currency' && field.decimals === null) field.decimals = 2;
      if (type === 'number' && typeof c.decimalLimit === 'number' && field.decimals === null) {
        field.decimals = c.decimalLimit;
        field.rounding = 'refuse';
      }
    } else if (TEXT.has(type) || ['email', 'url', 'datetime', 'day', 'time'].includes(type)) {
      valueType = 'string';
      schema = { type: 'string' };
      if (num('minLength') !== undefined) schema.minLength = num('minLength');
      if (num('maxLength') !== undefined) schema.maxLength = num('maxLength');
      if (typeof v.pattern === 'string' && v.pattern !== '') {
        try {
          new RegExp(v.pattern, 'u');
          schema.pattern = v.pattern;
        } catch {
          this.refuse(
            at,
            name,
            `the pattern ${JSON.stringify(v.pattern)} is not a valid regular expression`,
            'pattern',
          );
        }
      }
      if (type === 'email') schema.format = 'email';
      if (type === 'url') schema.format = 'uri';
      if (type === 'datetime') schema.format = 'date-time';
      if (type === 'time') schema.pattern = TIME;
      if (type === 'day') schema.pattern = '^[0-9]{2}/[0-9]{2}/[0-9]{4}$';
    } else if (type === 'checkbox') {
      if (c.inputType === 'radio')
        this.refuse(at, name, 'a checkbox acting as a radio button is not supported; use radio');
      valueType = 'boolean';
      // A required checkbox must be ticked; one that may be N/A takes null for it too.
      schema = field.required
        ? field.naAllowed
          ? { enum: [true] }
          : { type: 'boolean', const: true }
        : { type: 'boolean' };
    } else if (CHOICES.has(type)) {
      const values = type === 'select' ? (isObject(c.data) ? c.data.values : undefined) : c.values;
      const choices = this.choices(values, at, name);
      field.choices = choices;
      const allowed = choices.map((ch) => ch.value);
      if (type === 'selectboxes') {
        valueType = 'object';
        schema = {
          type: 'object',
          properties: Object.fromEntries(allowed.map((a) => [String(a), { type: 'boolean' }])),
          additionalProperties: false,
        };
        if (field.required)
          schema.anyOf = allowed.map((a) => ({
            properties: { [String(a)]: { const: true } },
            required: [String(a)],
          }));
      } else if (c.multiple === true) {
        valueType = 'array';
        field.items = true;
        schema = { type: 'array', items: { enum: allowed }, uniqueItems: true };
        if (field.required) schema.minItems = 1;
      } else {
        valueType = typeof allowed[0] === 'number' ? 'number' : 'string';
        schema = { enum: allowed };
      }
    } else if (type === 'container') {
      valueType = 'object';
      schema = { type: 'object', properties: {}, required: [], additionalProperties: false };
      field.required = false;
    } else if (type === 'datagrid' || type === 'editgrid') {
      valueType = 'array';
      field.items = true;
      schema = {
        type: 'array',
        items: { type: 'object', properties: {}, required: [], additionalProperties: false },
      };
      const min = num('minLength') ?? (field.required ? 1 : undefined);
      if (min !== undefined) schema.minItems = min;
      if (num('maxLength') !== undefined) schema.maxItems = num('maxLength');
    } else {
      // file: references to stored attachments, never the file itself.
      valueType = 'array';
      field.items = true;
      schema = {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            name: { type: 'string', minLength: 1, maxLength: 255 },
            size: { type: 'integer', minimum: 0 },
            type: { type: 'string', maxLength: 200 },
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
          required: ['id', 'name', 'size'],
          additionalProperties: false,
        },
      };
      if (c.multiple !== true) schema.maxItems = 1;
      if (field.required) schema.minItems = 1;
    }
    field.valueType = valueType;
    if (field.naAllowed) {
      if (Array.isArray(schema.type)) schema.type = [...schema.type, 'null'];
      else if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
      else if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null];
    }
    const x = this.annotation(field);
    if (Object.keys(x).length > 0) schema['x-attest'] = x;
    schema.title = field.label;
    return schema;
  }

  private choices(values: unknown, at: string, name: string): { label: string; value: unknown }[] {
    if (!Array.isArray(values) || values.length === 0) {
      this.refuse(at, name, 'a choice needs its values listed in the form', 'values');
      return [];
    }
    const out: { label: string; value: unknown }[] = [];
    for (const v of values) {
      if (!isObject(v) || !['string', 'number'].includes(typeof v.value) || v.value === '') {
        this.refuse(at, name, 'each value needs a label and a value', 'values');
        return [];
      }
      out.push({ label: typeof v.label === 'string' ? v.label : String(v.value), value: v.value });
    }
    return out;
  }

  feel(at: string, name: string, what: string, text: string, keep: (text: string) => void): void {
    const problem = feelSyntaxError(text);
    const limit = problem ? null : feelLimitProblem(text);
    if (problem) this.refuse(at, name, `${what} is not valid FEEL: ${problem.message}`, 'feel');
    else if (limit) this.refuse(at, name, `${what} exceeds the FEEL limits: ${limit}`, 'feel');
    else keep(text);
  }

  private annotation(field: FieldSpec): Record<string, unknown> {
    const x: Record<string, unknown> = {};
    if (field.type !== 'container' && field.type !== 'datagrid' && field.type !== 'editgrid')
      x.type = field.type;
    if (field.unit) x.unit = field.unit;
    if (field.decimals !== null) x.decimals = field.decimals;
    if (field.significantDigits !== null) x.significantDigits = field.significantDigits;
    if ((field.decimals !== null || field.significantDigits !== null) && field.valueType === 'number')
      x.rounding = field.rounding;
    if (field.limits) x.limits = field.limits;
    if (field.calculate) x.calculate = field.calculate;
    if (field.capture !== 'either') x.capture = field.capture;
    if (field.critical) x.critical = true;
    if (field.naAllowed) x.naAllowed = true;
    if (field.identifies) x.identifies = field.identifies;
    if (field.material) x.material = field.material;
    if (field.issues) x.issues = field.issues;
    if (field.equipmentAction) x.equipment = field.equipmentAction;
    if (field.passed) x.passed = field.passed;
    return x;
  }

  private nested(
    c: FormioComponent,
    type: string,
    at: string,
    field: FieldSpec,
    schema: JsonSchema,
    scope: Scope,
    rules: Pending['rules'],
    copy: FormioComponent,
  ): void {
    const inner: FormioComponent[] = [];
    copy.components = inner;
    if (type === 'container') {
      this.walk(
        c.components,
        `${at}/components`,
        { ...scope, path: field.path, object: schema, rules },
        inner,
      );
      // A container holding required fields is there whenever it is visible.
      field.required = (schema.required as string[]).length > 0;
      return;
    }
    if (scope.grid) this.refuse(at, field.key, 'a grid inside a grid is not supported');
    const row = schema.items as JsonSchema;
    // Fields of a row take their visibility from the grid; conditions between row fields go on the row.
    this.walk(
      c.components,
      `${at}/components`,
      {
        path: [...field.path, '*'],
        grid: field.path,
        object: row,
        holder: row,
        holderPath: [...field.path, '*'],
        rules: [],
      },
      inner,
    );
  }

  private layout(
    c: FormioComponent,
    type: string,
    at: string,
    name: string,
    scope: Scope,
    copy: FormioComponent,
  ): void {
    if (type === 'columns') {
      if (!Array.isArray(c.columns)) {
        this.refuse(at, name, 'columns must list its columns');
        return;
      }
      copy.columns = c.columns.map((col, i) => {
        const inner: FormioComponent[] = [];
        this.walk(isObject(col) ? col.components : undefined, `${at}/columns/${i}/components`, scope, inner);
        return { ...(isObject(col) ? col : {}), components: inner };
      });
      return;
    }
    if (type === 'tabs') {
      const tabs = Array.isArray(c.components) ? c.components : [];
      copy.components = tabs.map((tab, i) => {
        const inner: FormioComponent[] = [];
        this.walk(
          isObject(tab) ? tab.components : undefined,
          `${at}/components/${i}/components`,
          scope,
          inner,
        );
        return { ...(isObject(tab) ? tab : {}), components: inner };
      });
      return;
    }
    const inner: FormioComponent[] = [];
    this.walk(c.components, `${at}/components`, scope, inner);
    copy.components = inner;
  }

  private instruction(c: FormioComponent, at: string, name: string, copy: FormioComponent): void {
    if (c.type === 'content') {
      copy.html = sanitizeInstruction(typeof c.html === 'string' ? c.html : '');
      return;
    }
    const tag = typeof c.tag === 'string' ? c.tag.toLowerCase() : 'p';
    if (!INSTRUCTION_TAGS.has(tag))
      this.refuse(at, name, `the element <${tag}> is not allowed in an instruction`);
    copy.tag = tag;
    copy.content = sanitizeInstruction(typeof c.content === 'string' ? c.content : '');
    const attrs = Array.isArray(c.attrs) ? c.attrs : [];
    copy.attrs = attrs.filter((a) => isObject(a) && a.attr === 'class' && typeof a.value === 'string');
  }

  /** Turns the raw conditionals into rules over data paths and `if/then` required-ness. */
  resolve(): void {
    checkIssues(this.fields, this.byPath, (at, key, problem) => this.refuse(at, key, problem, 'attest'));
    for (const p of this.pending) {
      const rules: Visibility[] = [];
      for (const r of p.rules) {
        const rule = this.rule(r, p);
        if (rule) rules.push(rule);
      }
      p.field.visibility = rules;
      if (p.field.required && rules.length === 0) this.requireAt(p.holder, p.holderPath, p.field.path);
      if (!p.field.required || rules.length === 0) continue;
      const relative = (path: string[]) => path.slice(p.holderPath.length);
      const conditions = rules.map((rule) => {
        const each = rule.conditions.map((cond) =>
          conditionSchema(relative(cond.path), cond, this.byPath.get(cond.path.join('.'))),
        );
        const joined =
          each.length === 1 ? each[0]! : rule.conjunction === 'all' ? { allOf: each } : { anyOf: each };
        return rule.show ? joined : { not: joined };
      });
      const allOf = (p.holder.allOf ??= []) as JsonSchema[];
      allOf.push({
        if: conditions.length === 1 ? conditions[0] : { allOf: conditions },
        then: requiredAt(relative(p.field.path)),
      });
    }
  }

  private requireAt(holder: JsonSchema, holderPath: string[], path: string[]): void {
    let node = holder;
    for (const segment of path.slice(holderPath.length, -1)) {
      node = (node.properties as Record<string, JsonSchema>)[segment]!;
    }
    (node.required as string[]).push(path[path.length - 1]!);
  }

  private rule(r: Pending['rules'][number], p: Pending): Visibility | null {
    const { raw, at, key } = r;
    const show = raw.show === true || raw.show === 'true';
    const legacy = typeof raw.when === 'string' && raw.when !== '';
    const list: { component: unknown; operator: unknown; value: unknown }[] = legacy
      ? [{ component: raw.when, operator: 'isEqual', value: raw.eq }]
      : (raw.conditions as Record<string, unknown>[]).map((c) => ({
          component: isObject(c) ? c.component : undefined,
          operator: isObject(c) ? c.operator : undefined,
          value: isObject(c) ? c.value : undefined,
        }));
    const conjunction = raw.conjunction === 'any' ? 'any' : 'all';
    const conditions: Condition[] = [];
    for (const [i, c] of list.entries()) {
      const where = legacy ? at : `${at}/conditions/${i}`;
      if (typeof c.component !== 'string' || c.component === '') {
        this.refuse(where, key, 'a condition must name the field it looks at', 'conditional');
        continue;
      }
      if (!OPERATORS.has(c.operator as Condition['operator'])) {
        this.refuse(
          where,
          key,
          `the condition operator "${String(c.operator)}" is not supported`,
          'conditional',
        );
        continue;
      }
      const target = this.target(c.component, p);
      if (!target) {
        this.refuse(
          where,
          key,
          `the condition looks at "${c.component}", which is not a field of this form it can see`,
          'conditional',
        );
        continue;
      }
      if (target === p.field) {
        this.refuse(where, key, 'a field cannot show or hide itself', 'conditional');
        continue;
      }
      let value = c.value;
      if (
        target.valueType === 'number' &&
        typeof value === 'string' &&
        value.trim() !== '' &&
        Number.isFinite(Number(value))
      )
        value = Number(value);
      if (target.valueType === 'boolean' && (value === 'true' || value === 'false')) value = value === 'true';
      const ordered = ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'].includes(
        String(c.operator),
      );
      if (ordered && typeof value !== 'number') {
        this.refuse(
          where,
          key,
          `the condition compares "${c.component}" with something that is not a number`,
          'conditional',
        );
        continue;
      }
      conditions.push({ path: target.path, operator: c.operator as Condition['operator'], value });
    }
    if (conditions.length !== list.length) return null;
    return { show, conjunction, conditions };
  }

  /**
   * The field a condition names: `row.x` for a field of the same grid row, else by data path
   * (`container.field`) or by key. A field outside grids looks at fields outside grids; a field of a
   * grid row looks at its own row.
   */
  private target(reference: string, p: Pending): FieldSpec | undefined {
    const grid = (p.field.grid ?? []).join('.');
    const inScope = (f: FieldSpec) => (f.grid ?? []).join('.') === grid;
    if (reference.startsWith('row.')) {
      const found = (this.byKey.get(reference.slice(4)) ?? []).filter(inScope);
      return p.field.grid && found.length === 1 ? found[0] : undefined;
    }
    const exact = this.byPath.get(reference);
    if (exact) return inScope(exact) ? exact : undefined;
    const found = (this.byKey.get(reference.split('.').pop()!) ?? []).filter(inScope);
    return found.length === 1 ? found[0] : undefined;
  }
}

/** `{properties: {a: {properties: {b: leaf}, required: [b]}}, required: [a]}`. */
function atPath(path: string[], leaf: JsonSchema): JsonSchema {
  let schema = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    // The outermost level is the holder (an object already); nested levels say so for strict ajv.
    const typed = i > 0 ? { type: 'object' } : {};
    schema = { ...typed, properties: { [path[i]!]: schema }, required: [path[i]!] };
  }
  return schema;
}

function requiredAt(path: string[]): JsonSchema {
  const leaf = { ...(path.length > 1 && { type: 'object' }), required: [path[path.length - 1]!] };
  return atPath(path.slice(0, -1), leaf);
}

function conditionSchema(path: string[], c: Condition, target: FieldSpec | undefined): JsonSchema {
  const present = atPath(path, {});
  switch (c.operator) {
    case 'isEmpty':
      return { not: present };
    case 'isNotEmpty':
      return present;
    case 'lessThan':
      return atPath(path, { type: 'number', exclusiveMaximum: c.value });
    case 'lessThanOrEqual':
      return atPath(path, { type: 'number', maximum: c.value });
    case 'greaterThan':
      return atPath(path, { type: 'number', exclusiveMinimum: c.value });
    case 'greaterThanOrEqual':
      return atPath(path, { type: 'number', minimum: c.value });
    default: {
      const equal =
        target?.type === 'selectboxes'
          ? atPath([...path, String(c.value)], { const: true })
          : target?.valueType === 'array'
            ? atPath(path, { type: 'array', contains: { const: c.value } })
            : atPath(path, { const: c.value });
      return c.operator === 'isEqual' ? equal : { not: equal };
    }
  }
}

/**
 * Compiles a Form.io definition into the JSON Schema (2020-12, with `x-attest` GMP keywords) every
 * submission is validated against, and the field list the submission pipeline works from. Anything
 * whose behaviour is JavaScript, or that Attest does not enforce, refuses the whole form, each
 * problem naming the component.
 */
export function compileForm(definition: unknown): CompiledForm {
  if (!isObject(definition) || !Array.isArray(definition.components)) {
    throw new FormError([
      { pointer: '/components', keyword: 'required', message: 'a form needs a list of components' },
    ]);
  }
  const forbidden = findForbiddenKey(definition);
  if (forbidden !== null) {
    throw new FormError([
      {
        pointer: forbidden,
        keyword: 'key',
        message: `${[...FORBIDDEN_KEYS].join(', ')} cannot be used as a name`,
      },
    ]);
  }
  const root: JsonSchema = {
    $schema: SCHEMA_URI,
    type: 'object',
    properties: {},
    required: [],
    additionalProperties: false,
  };
  const compiler = new Compiler();
  const render: FormioComponent[] = [];
  compiler.walk(
    definition.components,
    '/components',
    { path: [], grid: null, object: root, holder: root, holderPath: [], rules: [] },
    render,
  );
  if (compiler.errors.length === 0) compiler.resolve();
  if (compiler.errors.length > 0) throw new FormError(compiler.errors);
  if (compiler.fields.length === 0)
    throw new FormError([
      { pointer: '/components', keyword: 'minItems', message: 'a form needs at least one input field' },
    ]);
  return {
    schema: root,
    fields: compiler.fields,
    render: { ...(definition as FormioDefinition), components: render },
    ignoredKeys: compiler.ignoredKeys,
  };
}
