import { feelFieldError, feelText } from '../../feel.ts';

/**
 * The "Attest (GMP)" entries of the properties panel, as data: which element shows which entry,
 * how the entry reads its value from the BPMN model and how it writes it back. The provider turns
 * each into one of the properties panel's components by its kind.
 */

/** A moddle element (bpmn-js's business objects and bpmn-moddle's parse results are such). */
export interface Bo {
  readonly $type: string;
  readonly $parent?: Bo;
  readonly id?: string;
  readonly name?: string;
  $instanceOf(type: string): boolean;
  get(property: string): unknown;
}

/** What the entries offer to choose from; the template being edited supplies it. */
export interface Sources {
  forms(): readonly { key: string; version: number; title: string }[];
  templates(): readonly { id: string; title: string }[];
  roles(): readonly string[];
}

/** How an entry changes the model: all of it through bpmn-js's command stack, so undo works. */
export interface Writer {
  /** Sets properties of the selected element's business object. */
  element(properties: Record<string, unknown>): void;
  /** Sets properties of another moddle element the selected element owns or refers to. */
  moddle(target: Bo, properties: Record<string, unknown>): void;
  create(type: string, properties: Record<string, unknown>): Bo;
}

export interface Choice {
  value: string;
  label: string;
}

interface Common {
  id: string;
  label: string;
  description?: string;
  /** A hint shown in the empty field. */
  placeholder?: string;
}

export type EntrySpec =
  | (Common & {
      kind: 'text' | 'textarea';
      /** FEEL fields are checked as the person types; the server's check remains the judge. */
      validate?: (value: string) => string | null;
      get(bo: Bo): string;
      set(value: string, bo: Bo, write: Writer): void;
    })
  | (Common & {
      kind: 'select';
      options(bo: Bo, sources: Sources): Choice[];
      get(bo: Bo): string;
      set(value: string, bo: Bo, write: Writer): void;
    })
  | (Common & {
      kind: 'choices';
      options(bo: Bo, sources: Sources): Choice[];
      get(bo: Bo): string[];
      set(values: string[], bo: Bo, write: Writer): void;
    })
  | (Common & {
      kind: 'checkbox';
      get(bo: Bo): boolean;
      set(value: boolean, bo: Bo, write: Writer): void;
    });

interface Applied {
  /** Whether the selected element shows this entry. */
  appliesTo(bo: Bo): boolean;
}

/** The signature meanings a task completes with; Rejected comes from `attest:rejectWhen`. */
export const SIGNATURE_MEANINGS = ['Performed', 'Verified', 'Reviewed', 'Approved', 'Released'];

const TIMER_TYPES: readonly Choice[] = [
  { value: 'timeDuration', label: 'After a duration (e.g. P2D)' },
  { value: 'timeDate', label: 'At a date and time (e.g. 2026-12-01T08:00:00Z)' },
  { value: 'timeCycle', label: 'Repeatedly (e.g. R/P1D)' },
];

const text = (bo: Bo, property: string): string => {
  const value = bo.get(property);
  return typeof value === 'string' ? value : '';
};

const blankToUndefined = (value: string): string | undefined => (value.trim() === '' ? undefined : value);

const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** The options, plus the current value when it is not among them, so that showing it loses nothing. */
function withCurrent(
  options: Choice[],
  current: readonly string[],
  unknown: (value: string) => string,
): Choice[] {
  const known = new Set(options.map((o) => o.value));
  return [
    ...options,
    ...current.filter((v) => v !== '' && !known.has(v)).map((v) => ({ value: v, label: unknown(v) })),
  ];
}

type TextEntry = Common & { kind?: 'text' | 'textarea'; feel?: boolean };

/** An attribute edited as text, of the selected element or of what `owner` finds for it. */
function attribute(
  property: string,
  { kind = 'text', feel, ...common }: TextEntry,
  owner?: (bo: Bo) => Bo | undefined,
): EntrySpec & { kind: 'text' | 'textarea' } {
  return {
    kind,
    ...common,
    ...(feel ? { validate: feelFieldError } : {}),
    get: (bo) => text(owner?.(bo) ?? bo, property),
    set: (value, bo, write) => {
      const properties = { [property]: blankToUndefined(value) };
      if (owner) write.moddle(owner(bo)!, properties);
      else write.element(properties);
    },
  };
}

/** An attribute of a moddle element the selected one owns or refers to, shown when there is one. */
function ownedAttribute(
  owner: (bo: Bo) => Bo | undefined,
  property: string,
  entry: TextEntry,
): EntrySpec & Applied {
  return { ...attribute(property, entry, owner), appliesTo: (bo) => owner(bo) !== undefined };
}

/** An `attest:` attribute holding a comma-separated list, edited by ticking choices. */
function listAttribute(
  property: string,
  entry: Common,
  options: (bo: Bo, sources: Sources) => Choice[],
): EntrySpec & { kind: 'choices' } {
  return {
    kind: 'choices',
    ...entry,
    options: (bo, sources) => withCurrent(options(bo, sources), commaList(text(bo, property)), (v) => v),
    get: (bo) => commaList(text(bo, property)),
    set: (values, _bo, write) => write.element({ [property]: values.length ? values.join(',') : undefined }),
  };
}

const isUserTask = (bo: Bo) => bo.$instanceOf('bpmn:UserTask');

function eventDefinition(bo: Bo, type: string): Bo | undefined {
  if (!bo.$instanceOf('bpmn:Event')) return undefined;
  return ((bo.get('eventDefinitions') ?? []) as Bo[]).find((d) => d.$instanceOf(type));
}

const timerOf = (bo: Bo) => eventDefinition(bo, 'bpmn:TimerEventDefinition');

function timerType(timer: Bo): string {
  return TIMER_TYPES.find(({ value }) => timer.get(value))?.value ?? '';
}

/** The message a message event, send task or receive task refers to. */
function messageOf(bo: Bo): Bo | undefined {
  if (bo.$instanceOf('bpmn:SendTask') || bo.$instanceOf('bpmn:ReceiveTask')) {
    return bo.get('messageRef') as Bo | undefined;
  }
  return eventDefinition(bo, 'bpmn:MessageEventDefinition')?.get('messageRef') as Bo | undefined;
}

/** Conditions belong on the flows that leave exclusive and inclusive gateways, but not the default one. */
function conditionalFlow(bo: Bo): boolean {
  if (!bo.$instanceOf('bpmn:SequenceFlow')) return false;
  const source = bo.get('sourceRef') as Bo | undefined;
  if (!source) return false;
  const gateway = source.$instanceOf('bpmn:ExclusiveGateway') || source.$instanceOf('bpmn:InclusiveGateway');
  return gateway && source.get('default') !== bo;
}

function multiInstanceOf(bo: Bo): Bo | undefined {
  const loop = bo.$instanceOf('bpmn:Activity')
    ? (bo.get('loopCharacteristics') as Bo | undefined)
    : undefined;
  return loop?.$instanceOf('bpmn:MultiInstanceLoopCharacteristics') ? loop : undefined;
}

/** The user tasks of the process an element is in, sub-processes included. */
function userTasksBeside(bo: Bo): Bo[] {
  let process: Bo | undefined = bo;
  while (process && !process.$instanceOf('bpmn:Process')) process = process.$parent;
  const collect = (container: Bo): Bo[] =>
    ((container.get('flowElements') ?? []) as Bo[]).flatMap((e) => [
      ...(e.$instanceOf('bpmn:UserTask') ? [e] : []),
      ...(e.$instanceOf('bpmn:SubProcess') ? collect(e) : []),
    ]);
  return process ? collect(process) : [];
}

const named = (bo: Bo): string => (bo.name ? `${bo.name} (${bo.id})` : String(bo.id));

/** A FEEL expression (`bpmn:FormalExpression`) held in a property of a moddle element. */
function expressionBody(owner: Bo | undefined, property: string): string {
  const expression = owner?.get(property) as Bo | undefined;
  const body = expression?.get('body');
  return typeof body === 'string' ? body : '';
}

export const ENTRIES: readonly (EntrySpec & Applied)[] = [
  {
    id: 'attest-formKey',
    kind: 'select',
    label: 'Form',
    description: 'The form the person fills in to complete the step.',
    appliesTo: isUserTask,
    options: (bo, sources) =>
      withCurrent(
        [
          { value: '', label: '(no form)' },
          ...sources.forms().map((f) => ({ value: f.key, label: `${f.title} — ${f.key} v${f.version}` })),
        ],
        [text(bo, 'attest:formKey')],
        (key) => `${key} (not in this template)`,
      ),
    get: (bo) => text(bo, 'attest:formKey'),
    set: (value, _bo, write) => write.element({ 'attest:formKey': blankToUndefined(value) }),
  },
  {
    ...listAttribute(
      'attest:candidateRoles',
      { id: 'attest-candidateRoles', label: 'Candidate roles', description: 'Who may take the step.' },
      (_bo, sources) => sources.roles().map((role) => ({ value: role, label: role })),
    ),
    appliesTo: isUserTask,
  },
  {
    ...attribute('attest:qualifications', {
      id: 'attest-qualifications',
      label: 'Required qualifications',
      description: 'SOP ids, comma-separated: the performer needs a current qualification on each.',
      placeholder: 'SOP-QA-001, SOP-PRD-014',
    }),
    appliesTo: isUserTask,
  },
  {
    id: 'attest-signatureMeaning',
    kind: 'select',
    label: 'Signature meaning',
    description: 'The step is completed with an electronic signature of this meaning.',
    appliesTo: isUserTask,
    options: (bo) =>
      withCurrent(
        [{ value: '', label: '(no signature)' }, ...SIGNATURE_MEANINGS.map((m) => ({ value: m, label: m }))],
        [text(bo, 'attest:signatureMeaning')],
        (m) => m,
      ),
    get: (bo) => text(bo, 'attest:signatureMeaning'),
    set: (value, _bo, write) => write.element({ 'attest:signatureMeaning': blankToUndefined(value) }),
  },
  {
    ...attribute('attest:rejectWhen', {
      id: 'attest-rejectWhen',
      label: 'Rejected when (FEEL)',
      description: 'When true, the signature is a rejection (reason required). Needs a signature meaning.',
      placeholder: 'decision = "reject"',
      feel: true,
    }),
    appliesTo: isUserTask,
  },
  {
    id: 'attest-reviewOf',
    kind: 'select',
    label: 'Shows for review',
    description:
      'Beside its form, the step shows the record under review, or its audit trail to review and sign (C6).',
    appliesTo: isUserTask,
    options: (bo) =>
      withCurrent(
        [
          { value: '', label: '(nothing)' },
          { value: 'record', label: 'The record under review' },
          { value: 'auditTrail', label: 'The record’s audit trail' },
        ],
        [text(bo, 'attest:reviewOf')],
        (v) => `${v} (not known to the engine)`,
      ),
    get: (bo) => text(bo, 'attest:reviewOf'),
    set: (value, _bo, write) => write.element({ 'attest:reviewOf': blankToUndefined(value) }),
  },
  {
    ...listAttribute(
      'attest:separateFrom',
      {
        id: 'attest-separateFrom',
        label: 'Not by the person who did',
        description: 'Segregation of duties: whoever did these may not take this step.',
      },
      (bo) => [
        { value: 'initiator', label: 'Whoever started the record' },
        ...userTasksBeside(bo)
          .filter((task) => task !== bo && typeof task.id === 'string')
          .map((task) => ({ value: String(task.id), label: named(task) })),
      ],
    ),
    appliesTo: isUserTask,
  },
  {
    ...attribute('attest:assignee', {
      id: 'attest-assignee',
      label: 'Assignee (FEEL)',
      description: 'The user name of the one person who may take the step.',
      placeholder: 'actionOwner',
      feel: true,
    }),
    appliesTo: isUserTask,
  },
  {
    id: 'attest-secondPersonVerification',
    kind: 'checkbox',
    label: 'Second-person verification',
    description: 'A second person verifies the critical entries.',
    appliesTo: isUserTask,
    get: (bo) => bo.get('attest:secondPersonVerification') === true,
    set: (value, _bo, write) => write.element({ 'attest:secondPersonVerification': value || undefined }),
  },
  {
    id: 'attest-outOfOrder',
    kind: 'checkbox',
    label: 'May be done ahead of the flow',
    description:
      'Someone of its roles may do the step before the process reaches it, with a reason and a signature, recorded as an exception for QA (F1).',
    appliesTo: isUserTask,
    get: (bo) => bo.get('attest:outOfOrder') === true,
    set: (value, _bo, write) => write.element({ 'attest:outOfOrder': value || undefined }),
  },
  {
    ...attribute('attest:dueDate', {
      id: 'attest-dueDate',
      label: 'Due (FEEL)',
      description: 'A duration from when the step opens, or a date.',
      placeholder: 'duration("P2D")',
      feel: true,
    }),
    appliesTo: isUserTask,
  },
  {
    id: 'attest-condition',
    kind: 'text',
    label: 'Condition (FEEL)',
    description: 'The flow is taken when this is true.',
    placeholder: 'classification = "major"',
    appliesTo: conditionalFlow,
    validate: feelFieldError,
    get: (bo) => expressionBody(bo, 'conditionExpression'),
    set: (value, bo, write) => {
      const expression = bo.get('conditionExpression') as Bo | undefined;
      if (feelText(value) === '') write.element({ conditionExpression: undefined });
      else if (expression) write.moddle(expression, { body: value });
      else write.element({ conditionExpression: write.create('bpmn:FormalExpression', { body: value }) });
    },
  },
  {
    id: 'attest-timerType',
    kind: 'select',
    label: 'Timer',
    appliesTo: (bo) => timerOf(bo) !== undefined,
    options: () => [{ value: '', label: '(not set)' }, ...TIMER_TYPES],
    get: (bo) => timerType(timerOf(bo)!),
    set: (value, bo, write) => {
      const timer = timerOf(bo)!;
      const previous = timerType(timer);
      const body = previous ? expressionBody(timer, previous) : '';
      write.moddle(timer, {
        timeDuration: undefined,
        timeDate: undefined,
        timeCycle: undefined,
        ...(value ? { [value]: write.create('bpmn:FormalExpression', { body }) } : {}),
      });
    },
  },
  {
    id: 'attest-timerValue',
    kind: 'text',
    label: 'When',
    description: 'ISO 8601 as the timer type says, or = followed by FEEL.',
    placeholder: 'P2D',
    appliesTo: (bo) => timerOf(bo) !== undefined,
    // Only an expression is FEEL; ISO 8601 text is checked by the server.
    validate: (value) => (value.trim().startsWith('=') ? feelFieldError(value) : null),
    get: (bo) => {
      const timer = timerOf(bo)!;
      const type = timerType(timer);
      return type ? expressionBody(timer, type) : '';
    },
    set: (value, bo, write) => {
      const timer = timerOf(bo)!;
      const type = timerType(timer) || 'timeDuration';
      const expression = timer.get(type) as Bo | undefined;
      if (expression) write.moddle(expression, { body: value });
      else write.moddle(timer, { [type]: write.create('bpmn:FormalExpression', { body: value }) });
    },
  },
  {
    id: 'attest-calledElement',
    kind: 'select',
    label: 'Called template',
    description: 'Starts a record of this template, linked to this one.',
    appliesTo: (bo) => bo.$instanceOf('bpmn:CallActivity'),
    options: (bo, sources) =>
      withCurrent(
        [
          { value: '', label: '(choose a template)' },
          ...sources.templates().map((t) => ({ value: t.id, label: `${t.title} (${t.id})` })),
        ],
        [text(bo, 'calledElement')],
        (id) => `${id} (unknown template)`,
      ),
    get: (bo) => text(bo, 'calledElement'),
    set: (value, _bo, write) => write.element({ calledElement: blankToUndefined(value) }),
  },
  {
    ...attribute('attest:type', {
      id: 'attest-handler',
      label: 'Handler',
      description: 'The plugin handler, by type name, that does the work.',
      placeholder: 'erp.postGoodsIssue',
    }),
    appliesTo: (bo) =>
      ['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask'].some((t) => bo.$instanceOf(t)),
  },
  {
    id: 'attest-script',
    kind: 'textarea',
    label: 'Script (FEEL)',
    description: 'Its value is stored in the result variable.',
    placeholder: 'weight * 0.98',
    appliesTo: (bo) => bo.$instanceOf('bpmn:ScriptTask'),
    validate: feelFieldError,
    get: (bo) => text(bo, 'script'),
    // The engine runs FEEL scripts only, so the format goes with every edit.
    set: (value, _bo, write) => write.element({ script: blankToUndefined(value), scriptFormat: 'feel' }),
  },
  {
    ...attribute('attest:resultVariable', {
      id: 'attest-resultVariable',
      label: 'Result variable',
      placeholder: 'netWeight',
    }),
    appliesTo: (bo) => bo.$instanceOf('bpmn:ScriptTask'),
  },
  ownedAttribute(messageOf, 'attest:correlationKey', {
    id: 'attest-correlationKey',
    label: 'Correlation key (FEEL)',
    description: 'Which record a message is for, e.g. its batch number.',
    placeholder: 'batchNumber',
    feel: true,
  }),
  ownedAttribute(multiInstanceOf, 'attest:collection', {
    id: 'attest-collection',
    label: 'For each item of (FEEL)',
    description: 'The activity runs once per item of this list.',
    placeholder: 'samples',
    feel: true,
  }),
  ownedAttribute(multiInstanceOf, 'attest:elementVariable', {
    id: 'attest-elementVariable',
    label: 'Item variable',
    placeholder: 'sample',
  }),
];

/** The entries one element shows, in the order the panel lists them. */
export function attestEntries(bo: Bo): EntrySpec[] {
  return ENTRIES.filter((entry) => entry.appliesTo(bo));
}
