import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { Notice, type NoticeState } from '../../ui/Message.tsx';
import { Exceptions } from '../record/Exceptions.tsx';
import { RecordSteps, Signatures } from '../record/RecordParts.tsx';
import { TrailReview } from '../record/TrailReview.tsx';

/** What a review step shows of its record (`GET /api/tasks/{id}/review`). */
export type StepReview = Schemas['StepReview'];

export async function loadReview(taskId: string): Promise<StepReview> {
  return api.get('/api/tasks/{id}/review', { path: { id: taskId } });
}

/**
 * The record a review step is about, beside the step's own form and drawn with the record page's
 * own parts: its exceptions with QA's decisions, its steps with values and provenance, its
 * signatures; or, for an audit-trail review, its trail in plain language. QA deciding on an
 * exception here reads the record again in place.
 */
export function UnderReview(props: { me: Me; taskId: string; review: StepReview }) {
  const [review, setReview] = useState(props.review);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const { dossier } = review;
  const { record } = dossier;
  const decided = (message: string): void => {
    loadReview(props.taskId)
      .then((next) => {
        setReview(next);
        setNotice({ kind: 'success', content: message });
      })
      .catch((error: unknown) =>
        setNotice({ kind: 'error', content: t('common.error', { detail: (error as Error).message }) }),
      );
  };
  return (
    <aside class="under-review" id="step-review" data-review={review.reviewOf}>
      <p class="under-review-head">
        <strong>{t('step.underReview', { number: record.number, title: record.title })}</strong>
        <a href={`#/record/${record.number}`} id="step-review-record">
          {t('step.openRecord')}
        </a>
      </p>
      <Notice id="step-review-notice" notice={notice} />
      {review.reviewOf === 'auditTrail' ? (
        <TrailReview dossier={dossier} />
      ) : (
        <>
          <Exceptions me={props.me} exceptions={dossier.exceptions} decided={decided} />
          <RecordSteps dossier={dossier} />
          <Signatures list={dossier.signatures} />
        </>
      )}
    </aside>
  );
}
