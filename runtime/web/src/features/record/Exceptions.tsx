import type { Meaning } from '@attest/task-form';
import type { paths } from '@attest/task-form/api';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useRef, useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api } from '../../api/client.ts';
import type { Me, Permission } from '../../app/me.ts';
import { formatInstant } from '../../time.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm, useDialog } from '../../ui/ModalForm.tsx';
import { meaningLabel, SignerPassword } from '../../ui/SignatureDialog.tsx';
import { severityLabel, type DossierException } from './dossier.ts';

type Disposition = DossierException['dispositions'][number];
type Status = DossierException['status'];
type DecisionBody =
  paths['/api/exceptions/{id}/dispositions']['post']['requestBody']['content']['application/json'];
/** What QA may decide on an exception, as the API names it. */
type Action = DecisionBody['action'];

const STATUS_KEYS: Record<Status, MessageKey> = {
  open: 'exception.status.open',
  assessed: 'exception.status.assessed',
  accepted: 'exception.status.accepted',
  deviation: 'exception.status.deviation',
};

const DONE_KEYS: Record<Disposition['action'], MessageKey> = {
  assessed: 'exception.action.assessed',
  accepted: 'exception.action.accepted',
  deviation: 'exception.action.deviation',
};

/**
 * Each decision: the status it follows, what it is signed as, who may give it (the server has
 * the last word, e.g. nobody decides on what their own entry raised), and how the dialog asks.
 */
const DECISIONS: Record<
  Action,
  {
    after: Status;
    meaning: Meaning;
    permissions: Permission[];
    button: MessageKey;
    title: MessageKey;
    comment: MessageKey;
    done: MessageKey;
  }
> = {
  assess: {
    after: 'open',
    meaning: 'Reviewed',
    permissions: ['records.review'],
    button: 'exception.assess',
    title: 'exception.titleAssess',
    comment: 'exception.commentAssess',
    done: 'exception.assessed',
  },
  accept: {
    after: 'assessed',
    meaning: 'Approved',
    permissions: ['records.approve'],
    button: 'exception.accept',
    title: 'exception.titleAccept',
    comment: 'exception.commentAccept',
    done: 'exception.accepted',
  },
  raiseDeviation: {
    after: 'assessed',
    meaning: 'Reviewed',
    permissions: ['records.review', 'records.create'],
    button: 'exception.raiseDeviation',
    title: 'exception.titleDeviation',
    comment: 'exception.commentDeviation',
    done: 'exception.deviationRaised',
  },
};
const ACTIONS = Object.keys(DECISIONS) as Action[];

/** Blocking and not yet accepted or given a deviation: it holds back review, approval and release. */
export const holds = (e: DossierException) => e.blocking && (e.status === 'open' || e.status === 'assessed');

/**
 * The record's exceptions as QA decides on them: each with its status and signed decisions, and
 * the decisions the person may give next. `decided` hears of each decision the server took, with
 * what to tell the person.
 */
export function Exceptions(props: {
  me: Me;
  exceptions: DossierException[];
  decided(message: string): void;
}) {
  const { me } = props;
  const [dialog, open] = useDialog();
  const allowed = (action: Action) => DECISIONS[action].permissions.every((p) => me.permissions.includes(p));
  const decide = (exception: DossierException, action: Action): void => {
    let message = '';
    open((close) => (
      <DecisionDialog
        me={me}
        exception={exception}
        action={action}
        done={(text) => (message = text)}
        onClose={close}
      />
    ))
      .then((done) => {
        if (done) props.decided(message);
      })
      .catch(reportError);
  };
  return (
    <section id="record-exceptions">
      <h2>{t('step.exceptions')}</h2>
      {props.exceptions.length === 0 ? (
        <p class="empty">{t('review.noExceptions')}</p>
      ) : (
        <ul class="exceptions">
          {props.exceptions.map((e) => (
            <li
              key={e.id}
              class={`exception severity-${e.severity}${holds(e) ? ' holding' : ''}`}
              data-exception={e.id}
              data-status={e.status}
            >
              <span class={`badge severity-${e.severity}`}>{severityLabel(e.severity)}</span>
              {e.blocking ? <span class="badge danger">{t('step.blocking')}</span> : null}
              <span class={`badge exception-status ${e.status}`}>{t(STATUS_KEYS[e.status])}</span>
              {holds(e) ? <span class="badge danger holds">{t('exception.holds')}</span> : null}
              <strong>{e.step ?? ''}</strong>
              {` ${e.message} · ${formatInstant(e.raisedAt)}`}
              {e.comment ? (
                <p class="operator-comment">{t('breach.comments', { comment: e.comment })}</p>
              ) : null}
              {e.dispositions.length > 0 ? (
                <ol class="dispositions">
                  {e.dispositions.map((d) => (
                    <DispositionItem key={d.id} disposition={d} />
                  ))}
                </ol>
              ) : null}
              <DecisionButtons
                actions={ACTIONS.filter(
                  (a) => DECISIONS[a].after === e.status && allowed(a) && e.raisedBy?.id !== me.user.id,
                )}
                decide={(action) => decide(e, action)}
              />
            </li>
          ))}
        </ul>
      )}
      {dialog}
    </section>
  );
}

function DispositionItem({ disposition: d }: { disposition: Disposition }) {
  return (
    <li data-action={d.action}>
      <strong>{t(DONE_KEYS[d.action])}</strong>
      <span class="comment">{d.comment}</span>
      {d.deviation ? (
        <span class="deviation">
          {`${t('exception.deviation')} `}
          <a href={`#/record/${d.deviation.id}`}>{d.deviation.number}</a>
        </span>
      ) : null}
      <span class="manifestation">{d.signature.text}</span>
    </li>
  );
}

function DecisionButtons(props: { actions: Action[]; decide(action: Action): void }) {
  if (props.actions.length === 0) return null;
  return (
    <div class="actions decisions">
      {props.actions.map((action) => (
        <button
          key={action}
          type="button"
          data-decision={action}
          class={action === 'raiseDeviation' ? undefined : 'primary'}
          onClick={() => props.decide(action)}
        >
          {t(DECISIONS[action].button)}
        </button>
      ))}
    </div>
  );
}

/**
 * A decision on an exception, signed: what is decided on and what the signature means, the
 * comment (the assessment, the justification, or why a deviation), a deviation's title, and the
 * password typed again. A wrong password or a refusal is said in the dialog, a wrong comment at it.
 */
function DecisionDialog(props: {
  me: Me;
  exception: DossierException;
  action: Action;
  done(message: string): void;
  onClose(done: boolean): void;
}) {
  const { action, exception } = props;
  const decision = DECISIONS[action];
  const meaning = meaningLabel(decision.meaning);
  const [comment, setComment] = useState('');
  const [title, setTitle] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ comment?: string; title?: string }>({});
  const commentInput = useRef<HTMLTextAreaElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  const submit = async (): Promise<string | null> => {
    setErrors({});
    const why = comment.trim();
    if (!why) {
      setErrors({ comment: t('admin.required') });
      commentInput.current?.focus();
      return t('exception.commentMissing');
    }
    try {
      const answer = await api.post('/api/exceptions/{id}/dispositions', {
        path: { id: exception.id },
        body: {
          action,
          comment: why,
          password,
          ...(action === 'raiseDeviation' && title.trim() && { deviationTitle: title.trim() }),
        },
      });
      const deviation = answer.dispositions.at(-1)?.deviation;
      props.done(t(decision.done, { meaning, number: deviation?.number ?? '' }));
      return null;
    } catch (error) {
      setPassword('');
      if (!(error instanceof Problem)) return t('common.error', { detail: (error as Error).message });
      setErrors({ comment: error.at('/comment'), title: error.at('/deviationTitle') });
      if (error.at('/comment')) commentInput.current?.focus();
      else passwordInput.current?.focus();
      const rest = error.errors.filter((e) => e.pointer !== '/comment' && e.pointer !== '/deviationTitle');
      return rest.length > 0 ? `${error.detail} ${rest.map((e) => e.message).join('; ')}` : error.detail;
    }
  };

  return (
    <ModalForm
      id="exception-dialog"
      title={t(decision.title)}
      confirm={t('sign.submit')}
      submit={submit}
      onClose={props.onClose}
    >
      <p id="exception-dialog-what">{t('exception.signing', { message: exception.message })}</p>
      <p class="meaning" id="exception-meaning">
        {t('exception.meaning', { meaning })}
      </p>
      <p id="exception-signer">
        {t('sign.signer', { name: props.me.user.printedName, username: props.me.user.username })}
      </p>
      <Field
        id="exception-comment"
        label={t(decision.comment)}
        hint={t('exception.commentHint')}
        error={errors.comment ?? null}
      >
        <textarea
          ref={commentInput}
          rows={3}
          maxLength={1000}
          {...fieldProps('exception-comment', errors.comment)}
          value={comment}
          onInput={(event) => setComment(event.currentTarget.value)}
        />
      </Field>
      {action === 'raiseDeviation' ? (
        <Field
          id="exception-title"
          label={t('exception.deviationTitle')}
          hint={t('exception.deviationTitleHint')}
          error={errors.title ?? null}
        >
          <input
            type="text"
            maxLength={200}
            {...fieldProps('exception-title', errors.title)}
            value={title}
            onInput={(event) => setTitle(event.currentTarget.value)}
          />
        </Field>
      ) : null}
      <SignerPassword
        id="exception-password"
        value={password}
        onInput={setPassword}
        inputRef={passwordInput}
      />
    </ModalForm>
  );
}
