/** What a service handler is given: the variables its task sees, and where it runs. */
export interface ServiceContext {
  instanceId: string;
  businessKey: string | null;
  elementId: string;
  variables: Record<string, unknown>;
  /** 1 on the first attempt, 2 on the first retry ... */
  attempt: number;
  /**
   * The same for every call made for one job: its retries after a failure, the run after its
   * incident is retried, and a repeated call after a worker lost the job (a handler runs at least
   * once, and now and then twice). Pass it to the system the handler writes to, so that it does
   * the work once (a request id, an order reference), or remember it to skip work already done.
   */
  idempotencyKey: string;
}

/**
 * A handler for service, send and business-rule tasks with `attest:type`: it returns the variables
 * to set, or a BPMN error for a boundary event to catch. Throwing anything else is a failure: the
 * job is retried with back-off and, when its retries are spent, becomes an incident. It is called
 * with no database transaction open, so it may take its time (a device, a remote system), and
 * should its result come after the job moved on or was taken by another worker, it is dropped.
 */
export type ServiceHandler = (
  context: ServiceContext,
) => Promise<ServiceResult | void> | ServiceResult | void;
export type ServiceResult =
  { variables?: Record<string, unknown> } | { error: { code: string; message?: string } };

const BPMN_ERROR = Symbol.for('attest.BpmnError');

/**
 * Thrown by a service handler: a BPMN error with a code, caught in the model. A plugin imported
 * on its own (its TypeScript entry, say) has its own copy of this class, so `instanceof` checks a
 * mark every copy sets rather than the class itself.
 */
export class BpmnError extends Error {
  readonly [BPMN_ERROR] = true;

  constructor(
    readonly code: string,
    message = `BPMN error ${code}`,
  ) {
    super(message);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass of a plugin's own is checked as classes are.
    if (Object.getPrototypeOf(this) !== Error)
      return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && BPMN_ERROR in value;
  }
}
