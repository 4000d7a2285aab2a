import { t } from '@attest/task-form/i18n';
import { api, type Schemas } from '../../api/client.ts';
import { formatInstant } from '../../time.ts';
import { meaningLabel } from '../../ui/SignatureDialog.tsx';
import { statusLabel } from '../records/status.ts';

export type ReviewItem = Schemas['ReviewItem'];

export async function loadReviewQueue(): Promise<ReviewItem[]> {
  return (await api.get('/api/review-queue')).items;
}

/**
 * The review queue by exception: steps waiting for this person to review, approve or release, with
 * the exceptions still open by severity, records with open high exceptions first. A row opens the
 * record as QA reads it; a record without exceptions is reviewed from that summary; the step is
 * one tap further.
 */
export function ReviewPage(props: { items: ReviewItem[] }) {
  const { items } = props;
  return (
    <>
      <h1>{t('review.queue')}</h1>
      <p class="hint">{t('review.queueHint')}</p>
      {items.length === 0 ? (
        <p class="empty">{t('review.queueEmpty')}</p>
      ) : (
        <ul class="tasks review-queue">
          {items.map((item) => (
            <QueueItem key={item.task.id} item={item} />
          ))}
        </ul>
      )}
    </>
  );
}

function QueueItem({ item }: { item: ReviewItem }) {
  const { task, record } = item;
  return (
    <li class={item.exceptions.high > 0 || record?.overdue ? 'task overdue' : 'task'} data-task={task.id}>
      <a class="task-main" href={record ? `#/record/${record.number}` : `#/task/${task.id}`}>
        <strong>{record ? `${record.number} · ${record.title}` : task.elementId}</strong>
        <span class="record">
          {`${task.name ?? task.elementId} · ${meaningLabel(item.meaning)}`}
          {record ? ` · ${statusLabel(record.status)}` : ''}
        </span>
      </a>
      <div class="task-meta">
        <Badges item={item} />
      </div>
      <div class="task-meta">
        <span>{t('review.waitingSince', { at: formatInstant(task.createdAt) })}</span>
        <span>{`${t('tasks.due')}: ${formatInstant(task.dueAt)}`}</span>
        {item.exceptions.holding > 0 && record ? (
          <a class="button holding" href={`#/record/${record.number}`}>
            {t('exception.openRecord')}
          </a>
        ) : null}
        {item.exceptions.total === 0 && record ? (
          <a class="button summary" href={`#/record/${record.number}`}>
            {t('review.fromSummary')}
          </a>
        ) : null}
        <a class="button" href={`#/task/${task.id}`}>
          {t('review.openStep')}
        </a>
      </div>
    </li>
  );
}

/**
 * What QA should look at first: the exceptions still open by severity, those decided, and values
 * changed after entry.
 */
function Badges({ item }: { item: ReviewItem }) {
  const { high, medium, low } = item.exceptions.open;
  const decided = item.exceptions.total - item.exceptions.undecided;
  if (item.exceptions.total === 0 && item.changedValues === 0)
    return <span class="badge ok">{t('review.clean')}</span>;
  return (
    <>
      {high > 0 ? <span class="badge severity-high">{t('review.high', { count: high })}</span> : null}
      {medium > 0 ? <span class="badge severity-medium">{t('review.medium', { count: medium })}</span> : null}
      {low > 0 ? <span class="badge severity-low">{t('review.low', { count: low })}</span> : null}
      {decided > 0 ? <span class="badge decided">{t('review.decided', { count: decided })}</span> : null}
      {item.exceptions.holding > 0 ? (
        <span class="badge danger holds">
          {t('exception.holdsReview', { count: item.exceptions.holding })}
        </span>
      ) : null}
      {item.changedValues > 0 ? (
        <span class="badge changed">{t('review.changedCount', { count: item.changedValues })}</span>
      ) : null}
    </>
  );
}
