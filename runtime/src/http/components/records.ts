import type { Schema } from '../schema.ts';
import { CHANGE_KINDS } from './dossier.ts';
import {
  closed,
  enumOf,
  id,
  string,
  nullableString,
  instant,
  integer,
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
      taskId: { ...id, description: 'The step skipped, or the task the repeat or addition made' },
      signatureId: { ...id, description: 'The signature (Approved, with the reason) over the change' },
    },
    'A run-time change recorded on the record as a high, blocking exception (D7)',
  ),
} satisfies Record<string, Schema>;
