import { ConflictError, NotFoundError } from '../../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { optionalText } from '../../kernel/textInput.ts';
import { processRepository } from './processRepository.ts';
import { checkVariables, reasonRequired } from './inputs.ts';
import type { Instances } from './instances.ts';
import type { IncidentView, InstanceView, ProcessContext } from './types.ts';

/** Incidents: tokens stuck on a failure, listed, and retried (with corrected variables if need be). */
export interface Incidents {
  list(principal: Principal, instanceId?: string): Promise<IncidentView[]>;
  retry(
    principal: Principal,
    incidentId: string,
    input?: { variables?: Record<string, unknown>; reason?: unknown },
  ): Promise<InstanceView>;
}

export function createIncidents(ctx: ProcessContext, instances: Instances): Incidents {
  const { knex } = ctx;
  const { move } = instances;

  async function listIncidents(principal: Principal, instanceId?: string): Promise<IncidentView[]> {
    requirePermission(principal, 'audit.read');
    return (await processRepository.openIncidents(knex, instanceId)).map((i) => ({
      id: i.id,
      instanceId: i.instance_id,
      elementId: i.element_id,
      message: i.message,
      createdAt: i.created_at.toISOString(),
    }));
  }

  /**
   * Retries an incident: the element runs again. Correcting variables first is a change of the
   * process's data outside any step: it needs its own authority and a reason, and the audit trail
   * keeps each variable's old and new value.
   */
  async function retryIncident(
    principal: Principal,
    incidentId: string,
    input: { variables?: Record<string, unknown>; reason?: unknown } = {},
  ): Promise<InstanceView> {
    requirePermission(principal, 'records.edit');
    const variables = checkVariables(input.variables);
    const reason = optionalText(input.reason, '/reason', 1000);
    if (Object.keys(variables).length > 0) {
      requirePermission(principal, 'incidents.retry');
      if (!reason) throw reasonRequired('to correct variables');
    }
    const incident = await processRepository.findIncident(knex, incidentId);
    if (!incident) throw new NotFoundError(`There is no incident ${incidentId}`);
    if (incident.resolved_at) throw new ConflictError('The incident was resolved already');
    const instance = (await processRepository.findInstance(knex, incident.instance_id))!;
    const token = instance.tokens.find((t) => t.incidentId === incidentId);
    if (!token) throw new ConflictError('The incident no longer holds a token; reload the instance');
    return move(
      eventActor(principal),
      instance,
      (execution) => {
        const changes = execution.setVariables(variables);
        execution.retry(token.id);
        return [
          {
            type: 'incident.retried',
            payload: { incidentId, elementId: incident.element_id, changes },
            reason,
          },
        ];
      },
      { resolvedIncidents: [incidentId] },
    );
  }

  return { list: listIncidents, retry: retryIncident };
}
