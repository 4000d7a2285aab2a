import type { Element } from 'bpmn-js/lib/model/Types';
import * as ReplaceOptions from 'bpmn-js/lib/features/replace/ReplaceOptions';
import type ContextPad from 'diagram-js/lib/features/context-pad/ContextPad';
import type PopupMenu from 'diagram-js/lib/features/popup-menu/PopupMenu';
import type Rules from 'diagram-js/lib/features/rules/Rules';
import { isOffered, unsupportedReason, type CreateTarget } from '../../unsupported.ts';

/** After bpmn-js's providers: these see the entries they made and take out what the engine refuses. */
const LOW_PRIORITY = 100;

type Entries = Record<string, unknown>;

/** What each of bpmn-js's replace entries turns an element into, by the entry's key. */
const REPLACE_TARGETS: ReadonlyMap<string, CreateTarget> = new Map(
  Object.values(ReplaceOptions)
    .flatMap((options) => (Array.isArray(options) ? [options] : Object.values(options)))
    .flat()
    .flatMap((option) => (option.target ? [[option.actionName, option.target] as const] : [])),
);

/** bpmn-js's context pad entries that append what the engine refuses. */
const CONTEXT_PAD_TARGETS: Readonly<Record<string, CreateTarget>> = {
  'append.condition-intermediate-event': {
    type: 'bpmn:IntermediateCatchEvent',
    eventDefinitionType: 'bpmn:ConditionalEventDefinition',
  },
  'append.compensation-activity': { type: 'bpmn:Task', isForCompensation: true },
};

/** Conditions and default flows belong on gateways; the engine refuses them elsewhere. */
const GATEWAY_ONLY_FLOWS = ['replace-with-conditional-flow', 'replace-with-default-flow'];

function without(entries: Entries, refused: (key: string, entry: unknown) => boolean): Entries {
  return Object.fromEntries(Object.entries(entries).filter(([key, entry]) => !refused(key, entry)));
}

/** The replace entries the engine could execute, for one element, as the rules allow them. */
export function offeredReplacements(
  element: Element,
  entries: Entries,
  allowed: (target: CreateTarget) => boolean,
): Entries {
  const source = element.type === 'bpmn:SequenceFlow' ? element.businessObject.sourceRef : null;
  const flowFromNonGateway = source ? !source.$instanceOf('bpmn:Gateway') : false;
  return without(entries, (key) => {
    if (flowFromNonGateway && GATEWAY_ONLY_FLOWS.includes(key)) return true;
    const target = REPLACE_TARGETS.get(key);
    return target !== undefined && !allowed(target);
  });
}

/** The loop toggles the engine executes: multi-instance, not standard loops. */
export function offeredHeaderEntries(entries: Entries): Entries {
  return without(entries, (_key, entry) => {
    const loop = (entry as { options?: { loopCharacteristics?: string } }).options?.loopCharacteristics;
    return loop !== undefined && unsupportedReason(loop) !== null;
  });
}

export function offeredContextPadEntries(entries: Entries): Entries {
  return without(entries, (key) => {
    const target = CONTEXT_PAD_TARGETS[key];
    return target !== undefined && !isOffered(target);
  });
}

/** Takes entries the engine would refuse out of the replace menu and the context pad. */
export default class AttestMenuFilter {
  static $inject = ['popupMenu', 'contextPad', 'rules'];

  constructor(popupMenu: PopupMenu, contextPad: ContextPad, rules: Rules) {
    const allowed = (element: Element) => (target: CreateTarget) =>
      rules.allowed('shape.replace', { element, target }) !== false;
    popupMenu.registerProvider('bpmn-replace', LOW_PRIORITY, {
      getPopupMenuEntries: (element: Element) => (entries: Entries) =>
        offeredReplacements(element, entries, allowed(element)),
      getPopupMenuHeaderEntries: () => (entries: Entries) => offeredHeaderEntries(entries),
    } as never);
    contextPad.registerProvider(LOW_PRIORITY, {
      getContextPadEntries: () => (entries: Entries) => offeredContextPadEntries(entries),
    } as never);
  }
}
