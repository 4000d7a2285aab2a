import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';
import { Field } from '../../ui/Field.tsx';
import { Message } from '../../ui/Message.tsx';

type TemplateVersion = Schemas['TemplateVersion'];

/** The templates a record may be started from: the effective ones. */
export async function loadEffectiveTemplates(): Promise<TemplateVersion[]> {
  return (await api.get('/api/templates', { query: { status: 'effective' } })).templates;
}

/** What became of the last start: the record's number, or why it was refused. */
type Outcome = { ok: true; text: string } | { ok: false; text: string };

/** Starts a record from an effective template, e.g. reporting a deviation (D2). */
export function NewRecordPage(props: { templates: TemplateVersion[] }) {
  const { templates } = props;
  const [template, setTemplate] = useState(templates[0]?.templateId ?? '');
  const [title, setTitle] = useState('');
  const [parameterSet, setParameterSet] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  if (templates.length === 0)
    return (
      <>
        <h1>{t('new.title')}</h1>
        <p class="empty">{t('new.none')}</p>
      </>
    );

  const sets = templates.find((tv) => tv.templateId === template)?.parameterSets ?? [];
  const chosenSet = sets.includes(parameterSet) ? parameterSet : (sets[0] ?? '');
  const choose = (templateId: string): void => {
    setTemplate(templateId);
    setParameterSet('');
  };

  const submit = (event: Event): void => {
    event.preventDefault();
    setBusy(true);
    setOutcome(null);
    api
      .post('/api/records', {
        body: { template, title, ...(chosenSet && { parameterSet: chosenSet }) },
      })
      .then((record) => {
        setOutcome({ ok: true, text: t('new.started', { number: record.number }) });
        setTitle('');
      })
      .catch((error: unknown) =>
        setOutcome({
          ok: false,
          text:
            error instanceof Problem
              ? error.errors.map((e) => e.message).join('; ') || error.detail
              : String(error),
        }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <>
      <h1>{t('new.title')}</h1>
      <form class="card" noValidate onSubmit={submit}>
        <fieldset>
          <legend>{t('new.template')}</legend>
          {templates.map((tv) => (
            <label key={tv.templateId} class="choice">
              <input
                type="radio"
                name="template"
                value={tv.templateId}
                checked={tv.templateId === template}
                onChange={() => choose(tv.templateId)}
              />
              <span>
                <strong>{`${tv.title} · ${t('common.version', { version: tv.version })}`}</strong>
                <small>{tv.description}</small>
              </span>
            </label>
          ))}
        </fieldset>
        {sets.length > 0 && (
          <Field id="record-set" label={t('new.parameterSet')} hint={t('new.parameterSetHint')}>
            <select
              id="record-set"
              value={chosenSet}
              onChange={(event) => setParameterSet(event.currentTarget.value)}
            >
              {sets.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field id="record-title" label={t('new.recordTitle')} hint={t('new.titleHint')}>
          <input
            id="record-title"
            type="text"
            required
            maxLength={200}
            value={title}
            onInput={(event) => setTitle(event.currentTarget.value)}
          />
        </Field>
        <Message tone={outcome === null ? 'plain' : outcome.ok ? 'success' : 'error'} role="status">
          {outcome?.text}
        </Message>
        <button type="submit" class="primary" disabled={busy}>
          {t('new.submit')}
        </button>
      </form>
    </>
  );
}
