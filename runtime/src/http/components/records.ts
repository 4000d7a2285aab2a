import type { Schema } from '../schema.ts';
import { CHANGE_KINDS } from './dossier.ts';
import {
  closed,
  enumOf,
  string,
  nullableString,
  instant,
  integer,
  id,
  meaning,
  RECORD_VIEW,
  RECORD_DETAIL,
} from './shared.ts';

/** Records and their links. */
export const RECORD_COMPONENTS = {
  RecordSummary: closed(
    RECORD_VIEW,
    'A record as lists show it: number, template version, status, owner, due date',
  ),
  Record: closed(
    {
      ...RECORD_VIEW,
      content: { type: 'object' },
      version: integer,
      updatedAt: instant,
      ...RECORD_DETAIL,
    },
    'A GMP record with its template version, process, owner, due date, links and open tasks',
  ),
  BatchDeviations: closed(
    {
      batch: string,
      openDeviations: {
        type: 'array',
        items: closed(
          { ...RECORD_VIEW, classification: nullableString },
          'An open deviation that names the batch, with its classification',
        ),
      },
      criticalOpen: {
        type: 'boolean',
        description: 'A critical deviation is open: the batch may not be released (F5)',
      },
    },
    'The open deviations affecting a batch',
  ),
  RunTimeChange: closed(
    {
      kind: enumOf(CHANGE_KINDS, 'What the change did'),
      exceptionId: id,
      taskId: {
        ...id,
        description: 'The step skipped, or the task the repeat, the addition or the step done ahead made',
      },
      signatureId: {
        ...id,
        description:
          'The signature with the reason over the change: Approved, or Performed for a step done ahead',
      },
    },
    'A run-time change (D7) or a step done ahead (F1), recorded on the record as a high, blocking exception',
  ),
  ReviewLeadTimes: closed(
    {
      items: {
        type: 'array',
        description: 'Newest signature first',
        items: closed(
          {
            record: {
              oneOf: [
                { type: 'null' },
                closed(
                  { id, number: string, templateId: { type: ['string', 'null'] } },
                  'The record the step belongs to',
                ),
              ],
            },
            taskId: id,
            step: string,
            meaning,
            signer: closed({ username: string, printedName: string }, 'Who signed the review'),
            reachedAt: { ...instant, description: 'When the record’s process reached the step' },
            signedAt: { ...instant, description: 'When the signature completed it' },
            leadSeconds: { type: 'integer', minimum: 0, description: 'From reached to signed, in seconds' },
          },
          'One review step done, with its lead time',
        ),
      },
      count: integer,
      medianSeconds: {
        type: ['number', 'null'],
        description: 'The median lead time of those listed, in seconds; null when none',
      },
    },
    'The lead times of review steps, for the dashboards of review by exception',
  ),
} satisfies Record<string, Schema>;
