import {
  componentPath,
  templateOf,
  type FieldError,
  type FieldState,
  type StepSignature,
  type Submission,
  type TaskDetail,
  type TaskForm,
} from '@attest/task-form';
import { t } from '@attest/task-form/i18n';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api } from '../../api/client.ts';
import type { Me } from '../../app/me.ts';
import { setNotice } from '../../notice.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { Message } from '../../ui/Message.tsx';
import { ConfirmDialog } from '../../ui/ModalForm.tsx';
import {
  meaningLabel,
  SignatureDialog,
  signatureProblem,
  type SignatureInput,
} from '../../ui/SignatureDialog.tsx';
import { BreachConfirm, type Breach } from './BreachConfirm.tsx';
import { DeviceCapture, deviceValueOf, deviceValuesOf, sourcesFor } from './DeviceCapture.tsx';
import { LotProposals } from './LotProposals.tsx';
import { ChangedPanel, ExceptionsPanel, VerificationPanel } from './panels.tsx';
import type { RenderedTaskForm } from './renderer.ts';
import { TaskFormHost } from './TaskFormHost.tsx';
import { loadReview, UnderReview, type StepReview } from './UnderReview.tsx';

export interface Step {
  task: TaskDetail;
  contract: TaskForm | null;
  /** What a review step shows of its record beside its form; null for a step that reviews nothing. */
  review: StepReview | null;
}

/**
 * The step and its form's contract. formio.js (a chunk of its own) loads meanwhile, so a step
 * whose renderer cannot load fails here, where the app shows a failure, as its data would.
 */
export async function loadStep(taskId: string): Promise<Step> {
  const task = await api.get('/api/tasks/{id}', { path: { id: taskId } });
  // The record under review is read while the step is open; a step done shows it from Records.
  const review = task.reviewOf && task.status === 'open' ? loadReview(task.id) : Promise.resolve(null);
  if (!task.formKey) return { task, contract: null, review: await review };
  const [contract, reviewed] = await Promise.all([
    api.get('/api/tasks/{id}/form', { path: { id: task.id } }),
    review,
    import('./renderer.ts'),
  ]);
  // The document leaves the Form.io components open; the contract names what the step view reads of them.
  return { task, contract: contract as TaskForm, review: reviewed };
}

/**
 * What the top of the step lists after a refusal: a headline and each error, named after its
 * field; and, when the record holds the step back (e.g. a blocking exception QA has not decided
 * on), the way to the record where it is decided.
 */
type Problems = {
  headline: string;
  items: { pointer: string; text: string }[];
  plain?: boolean;
  toRecord?: boolean;
};

type Body = Partial<Submission> & {
  sources?: Record<string, { source: 'device'; reading: string }>;
  reason?: string;
  confirmed?: string[];
  comments?: Record<string, string>;
};

/**
 * The operator's step: the step and its record, the form rendered with formio.js from the renderer
 * contract (instructions, units and limits, locks, N/A, values changed after entry), exceptions,
 * second-person verification of critical values, and completion — with an electronic signature
 * when the model signs the step.
 */
export function StepPage(props: { me: Me; step: Step }) {
  const { me } = props;
  const { task } = props.step;
  const open = task.status === 'open';
  const name = task.name ?? task.elementId;
  const [contract, setContract] = useState(props.step.contract);
  const [status, setStatus] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problems | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  // Asked for by a refusal: the reason stays on screen until the form is drawn again.
  const [reasonAsked, setReasonAsked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [completing, setCompleting] = useState(false);
  // Values outside their limits that completing would record: confirmed before the signature.
  const [breaches, setBreaches] = useState<Breach[] | null>(null);
  const form = useRef<RenderedTaskForm | null>(null);
  // Values the server entered from devices, by pointer: a save names their readings.
  const [taken, setTaken] = useState(() => deviceValuesOf(props.step.contract?.values ?? []));
  const problemsBox = useRef<HTMLDivElement>(null);
  // What completing sends, taken when it was asked for, and the refusal it met, if any.
  const submission = useRef<Body>({});
  const refused = useRef<unknown>(null);

  useEffect(() => {
    if (problems && !problems.plain) problemsBox.current?.scrollIntoView({ block: 'nearest' });
  }, [problems]);

  const fields = contract?.fields ?? [];
  /** The contract the server answered with, drawn again with a message at the top. */
  const redraw = (next: TaskForm, message: string): void => {
    setContract(next);
    setTaken(deviceValuesOf(next.values));
    setStatus(message);
    setReason('');
    setReasonAsked(false);
  };
  const clearProblems = (): void => {
    setProblems(null);
    setStatus(null);
    setReasonError(null);
    form.current?.clearErrors();
  };
  /** Shows a refusal: each error at its field, and all of them listed at the top. */
  const showProblem = (error: unknown): void => {
    if (!(error instanceof Problem)) {
      setProblems({
        headline: t('common.error', { detail: (error as Error).message }),
        items: [],
        plain: true,
      });
      return;
    }
    form.current?.showErrors(error.errors);
    const atReason = error.errors.filter((e) => e.pointer === '/reason');
    if (atReason.length > 0) {
      setReasonAsked(true);
      setReasonError(atReason.map((e) => e.message).join('; '));
    }
    const items = error.errors.map((e) => ({
      pointer: e.pointer,
      text: errorText(e, fields, componentPath(e.pointer, fields)),
    }));
    setProblems({
      headline: items.length > 0 ? t('step.notDone') : error.detail,
      items,
      toRecord: error.status === 409 && items.length === 0,
    });
  };
  const body = (): Body => {
    if (!form.current) return {};
    const { data, na } = form.current.submission();
    const why = reason.trim();
    const sources = sourcesFor(data, taken);
    return {
      data,
      ...(Object.keys(na).length > 0 && { na }),
      ...(Object.keys(sources).length > 0 && { sources }),
      ...(why && { reason: why }),
    };
  };

  const save = (): void => {
    clearProblems();
    setBusy(true);
    api
      .put('/api/tasks/{id}/values', { path: { id: task.id }, body: body() })
      .then((saved) => redraw(saved as TaskForm, t('step.saved')))
      .catch(showProblem)
      .finally(() => setBusy(false));
  };
  const complete = (): void => {
    clearProblems();
    submission.current = body();
    refused.current = null;
    setBusy(true);
    if (!contract) {
      setCompleting(true);
      return;
    }
    // What completing would raise, as the server works it out: breaches are confirmed first.
    const { data, na, sources } = submission.current;
    api
      .post('/api/tasks/{id}/check', {
        path: { id: task.id },
        body: { data, ...(na && { na }), ...(sources && { sources }) },
      })
      .then((verdict) => {
        if (!verdict.ok) {
          setBusy(false);
          showProblem(new Problem(400, 'urn:attest:problem:input', t('step.notDone'), verdict.errors));
          return;
        }
        const found = verdict.exceptions.filter(
          (e) => e.type === 'limit_breach' || e.type === 'fefo_override',
        );
        if (found.length > 0) setBreaches(found);
        else setCompleting(true);
      })
      .catch((error: unknown) => {
        setBusy(false);
        showProblem(error);
      });
  };
  const send = async (signature?: SignatureInput): Promise<unknown> => {
    try {
      await api.post('/api/tasks/{id}/complete', {
        path: { id: task.id },
        body: { ...submission.current, ...(signature && { signature }) },
      });
      return null;
    } catch (error) {
      return error;
    }
  };
  const sign = async (signature: SignatureInput): Promise<string | null> => {
    const error = await send(signature);
    if (error === null) return null;
    // A wrong password or a missing reason is answered in the dialog; the rest at the fields.
    if (signatureProblem(error)) return (error as Problem).detail;
    refused.current = error;
    return null;
  };
  const completed = (done: boolean): void => {
    setCompleting(false);
    setBusy(false);
    if (!done) return;
    if (refused.current) return showProblem(refused.current);
    setNotice(
      task.signature
        ? t('step.completedSigned', { step: name, meaning: meaningLabel(task.signature.meaning) })
        : t('step.completed', { step: name }),
    );
    location.hash = '#/tasks';
  };

  const reasonShown = reasonAsked || (contract !== null && contract.values.length > 0);
  return (
    <>
      <p class="crumbs">
        <a href="#/tasks">{t('step.back')}</a>
      </p>
      <h1 id="step-name">{name}</h1>
      {task.record ? (
        <p class="step-record" id="step-record">{`${task.record.number} · ${task.record.title}`}</p>
      ) : null}
      {open ? <SignatureNote signature={task.signature} /> : null}
      {open ? null : <p class="note">{t(task.status === 'completed' ? 'step.done' : 'step.withdrawn')}</p>}
      <div
        class={
          props.step.review
            ? `step-columns${props.step.review.reviewOf === 'auditTrail' ? ' reviewing-trail' : ''}`
            : undefined
        }
      >
        {props.step.review ? <UnderReview me={me} taskId={task.id} review={props.step.review} /> : null}
        <div class="step-own">
          <Message tone="success" id="step-status">
            {status}
          </Message>
          <div
            id="step-errors"
            class="message error"
            role="alert"
            hidden={problems === null}
            ref={problemsBox}
          >
            {problems === null ? null : problems.plain ? (
              problems.headline
            ) : (
              <>
                <strong>{problems.headline}</strong>
                {problems.items.length > 0 ? (
                  <ul>
                    {problems.items.map((item, i) => (
                      <li key={i} data-pointer={item.pointer}>
                        {item.text}
                      </li>
                    ))}
                  </ul>
                ) : null}
                {problems.toRecord && task.record ? (
                  <p>
                    <a id="step-to-record" href={`#/record/${task.record.number}`}>
                      {t('step.toRecord', { number: task.record.number })}
                    </a>
                  </p>
                ) : null}
              </>
            )}
          </div>
          {contract ? <ExceptionsPanel contract={contract} /> : null}
          {contract ? <ChangedPanel contract={contract} /> : null}
          {contract && open ? (
            <VerificationPanel
              task={task}
              contract={contract}
              verified={(next) => redraw(next, t('step.verified'))}
            />
          ) : null}
          {contract && open ? (
            <DeviceCapture
              taskId={task.id}
              contract={contract}
              taken={taken}
              reason={() => reason}
              onTaken={(field, _reading, entered) => {
                form.current?.setValue(field.pointer, entered.value);
                setTaken((before) => {
                  const after = new Map(before);
                  const taken = deviceValueOf(entered);
                  if (taken) after.set(field.pointer, taken);
                  else after.delete(field.pointer);
                  return after;
                });
                setReasonError(null);
              }}
              onMessage={(text) => {
                clearProblems();
                setStatus(text);
              }}
              onReasonNeeded={(message) => {
                setReasonAsked(true);
                setReasonError(message);
              }}
            />
          ) : null}
          {contract && open ? (
            <LotProposals
              contract={contract}
              onUse={(pointer, lot) => form.current?.setValue(pointer, lot)}
            />
          ) : null}
          {contract ? (
            <TaskFormHost contract={contract} form={form} />
          ) : (
            <p class="note" id="step-no-form">
              {t('step.noForm')}
            </p>
          )}
          {open && contract ? (
            <Field
              id="step-reason"
              label={t('step.changeReason')}
              hint={t('step.changeReasonHint')}
              hidden={!reasonShown}
              error={reasonError}
            >
              <textarea
                rows={2}
                maxLength={1000}
                {...fieldProps('step-reason', reasonError)}
                value={reason}
                onInput={(event) => setReason(event.currentTarget.value)}
              />
            </Field>
          ) : null}
          {open ? (
            <div class="step-actions">
              {contract ? (
                <button type="button" id="step-save" disabled={busy} onClick={save}>
                  {t('step.save')}
                </button>
              ) : null}
              <button type="button" class="primary" id="step-complete" disabled={busy} onClick={complete}>
                {task.signature ? t('step.completeSign') : t('step.complete')}
              </button>
            </div>
          ) : null}
        </div>
      </div>
      {breaches ? (
        <BreachConfirm
          breaches={breaches}
          onConfirm={(answer) => {
            submission.current = { ...submission.current, ...answer };
            setBreaches(null);
            setCompleting(true);
          }}
          onClose={() => {
            setBreaches(null);
            setBusy(false);
          }}
        />
      ) : null}
      {completing && task.signature ? (
        <SignatureDialog
          id="sign-dialog"
          fields="sign"
          wording="step"
          meaning={task.signature.meaning}
          note={
            task.signature.rejectable ? (
              <p class="note">{t('sign.rejectable', { rejected: meaningLabel('Rejected') })}</p>
            ) : null
          }
          signer={me.user}
          reason={task.signature.rejectable ? 'optional' : 'none'}
          sign={sign}
          onClose={completed}
        />
      ) : null}
      {completing && !task.signature ? (
        <ConfirmDialog
          id="confirm-dialog"
          title={t('step.confirmTitle')}
          text={t('step.confirmText', { step: name })}
          confirm={t('step.complete')}
          send={async () => {
            refused.current = await send();
            return null;
          }}
          onClose={completed}
        />
      ) : null}
    </>
  );
}

/** An error as the list at the top reads it: named after its field when the message does not say. */
function errorText(error: FieldError, fields: FieldState[], path: string | null): string {
  if (error.pointer === '/reason') return `${t('step.changeReason')}: ${error.message}`;
  if (path === null) return error.message;
  const pointer = error.pointer.replace(/^\/(na|sources)(?=\/)/, '');
  const field = fields.find((f) => f.pointer === templateOf(pointer));
  if (!field || error.message.startsWith(field.label)) return error.message;
  return `${field.label}: ${error.message}`;
}

function SignatureNote({ signature }: { signature: StepSignature | null }) {
  if (!signature) return null;
  const meaning = meaningLabel(signature.meaning);
  return (
    <p class="signature-note" id="step-signature">
      {signature.rejectable
        ? t('step.signedRejectable', { meaning, rejected: meaningLabel('Rejected') })
        : t('step.signed', { meaning })}
    </p>
  );
}
