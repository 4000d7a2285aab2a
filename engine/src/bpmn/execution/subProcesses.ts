import type { FieldChange } from '../../audit/types.ts';
import { ExpressionError } from '../../feel/feel.ts';
import type { FlowNode } from '../model/graph.ts';
import type { Execution } from './execution.ts';
import { boundaries, activityDone } from './activities.ts';
import { listenSafely, rearmOrEnd } from './events.ts';
import type { Token, Scope } from './types.ts';

// Scopes of sub-processes and activities, event sub-processes, and scopes completing.

/** A scope held by a token at `node` in `parent`; the token carries the boundary events when outermost. */
export function openChildScope(
  ex: Execution,
  node: FlowNode,
  parent: string | null,
  kind: Scope['kind'],
  via: string | null,
  outermost: boolean,
  variables: Record<string, unknown>,
): Scope {
  const scope: Scope = { id: ex.newId(), node: node.id, parent, kind, variables };
  ex.scopes.set(scope.id, scope);
  const host = ex.addToken({ node: node.id, via, scope: parent, wait: 'scope' });
  host.childScope = scope.id;
  boundaries(ex, host, outermost);
  return scope;
}

/** Ends a scope whose tokens are gone: its host token and the boundary events on it go too. */
export function closeChildScope(ex: Execution, scope: Scope): void {
  ex.scopes.delete(scope.id);
  const host = ex.tokens.find((t) => t.childScope === scope.id);
  if (host) {
    delete host.childScope;
    ex.dispose(host);
  }
}

/** The event sub-processes of a scope start listening when the scope opens. */
export function openScope(ex: Execution, scope: string | null, eventSubProcesses: string[]): void {
  for (const id of eventSubProcesses) {
    const start = ex.node(ex.node(id).subProcess!.start!);
    const trigger = start.event;
    if (trigger?.type === 'timer' || trigger?.type === 'message' || trigger?.type === 'signal') {
      listenSafely(ex, start, scope, (t) => (t.eventSubProcess = true));
    }
  }
}

/** Sub-processes whose last token has gone complete, from the inside out; the process last. */
export function completeEmptyScopes(ex: Execution): boolean {
  const busy = (scope: string | undefined) => ex.tokens.some((t) => t.scope === scope && !t.eventSubProcess);
  for (const scope of ex.scopes.values()) {
    if ((scope.kind === 'subProcess' || scope.kind === 'eventSubProcess') && !busy(scope.id)) {
      const node = ex.node(scope.node);
      try {
        activityDone(ex, node, scope.parent, {}, () => {
          for (const t of ex.tokens.filter((t) => t.scope === scope.id)) ex.dispose(t);
          ex.step.events.push({ type: 'subprocess.completed', payload: { elementId: node.id } });
          closeChildScope(ex, scope);
        });
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        // Its output mapping failed: the sub-process stays, held by the incident until a retry.
        ex.incident(node, { node: node.id, via: null, scope: scope.id }, error.message, 'settle');
      }
      return true;
    }
  }
  if (!busy(undefined)) {
    for (const t of [...ex.tokens]) ex.dispose(t);
    ex.ended = 'completed';
    ex.step.events.push({ type: 'process.completed' });
  }
  return false;
}

export function triggerEventSubProcess(
  ex: Execution,
  token: Token,
  variables: Record<string, unknown>,
): FieldChange[] {
  const start = ex.node(token.node);
  const scope = token.scope ?? null;
  if (start.interrupting) {
    for (const t of ex.tokens.filter((t) => (t.scope ?? null) === scope)) ex.dispose(t);
  } else {
    rearmOrEnd(ex, token, start);
  }
  return startEventSubProcess(ex, start, scope, variables);
}

export function startEventSubProcess(
  ex: Execution,
  start: FlowNode,
  scope: string | null,
  variables: Record<string, unknown>,
): FieldChange[] {
  const node = ex.node(start.parent!);
  const sub = openChildScope(ex, node, scope, 'eventSubProcess', null, false, {});
  openScope(ex, sub.id, node.subProcess!.eventSubProcesses);
  ex.step.events.push({
    type: 'subprocess.started',
    payload: { elementId: node.id, trigger: start.event?.type ?? 'none', interrupting: start.interrupting },
  });
  const changes = ex.assign(sub.id, variables);
  ex.queue.push(...ex.outgoing(start, sub.id));
  return changes;
}
