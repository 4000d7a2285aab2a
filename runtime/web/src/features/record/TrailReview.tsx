import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { formatInstant } from '../../time.ts';
import { summary } from './AuditTrail.tsx';
import type { Dossier } from './dossier.ts';
import { trailEntries } from './trailText.ts';

/**
 * The audit trail of a record as its review step shows it (C6): the GMP-relevant changes in plain
 * language, each with its reason, who and when; technical events hidden until asked for, and then
 * collapsed. What the reviewer signs covers the whole trail as it stands, which the count says.
 */
export function TrailReview({ dossier }: { dossier: Dossier }) {
  const [all, setAll] = useState(false);
  const entries = trailEntries(dossier);
  const technical = entries.filter((e) => e.technical).length;
  const shown = all ? entries : entries.filter((e) => !e.technical);
  return (
    <section id="trail-review">
      <h2>{t('trail.title')}</h2>
      <p class="note" id="trail-extent">
        {t('trail.extent', { count: dossier.audit.length, number: dossier.record.number })}
      </p>
      <label class="check">
        <input
          type="checkbox"
          id="trail-all"
          checked={all}
          onChange={(event) => setAll(event.currentTarget.checked)}
        />
        {t('trail.showAll', { count: technical })}
      </label>
      <ol class="trail">
        {shown.map(({ event, title, lines, technical: isTechnical }) =>
          isTechnical ? (
            <li key={event.id} class="technical" data-type={event.type}>
              <details>
                <summary>
                  <code>{title}</code>
                  {` · ${event.actorName} · ${formatInstant(event.at)}`}
                </summary>
                <p class="details">{summary(event.payload)}</p>
              </details>
            </li>
          ) : (
            <li key={event.id} data-type={event.type}>
              <strong class="what">{title}</strong>
              {lines.length > 0 ? (
                <ul class="changes">
                  {lines.map((line, i) => (
                    <li key={i}>{line}</li>
                  ))}
                </ul>
              ) : null}
              <span class="meta">
                {[
                  event.reason ? t('trail.reason', { reason: event.reason }) : null,
                  t('trail.by', { who: event.actorName, at: formatInstant(event.at) }),
                ]
                  .filter(Boolean)
                  .join(', ')}
              </span>
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
