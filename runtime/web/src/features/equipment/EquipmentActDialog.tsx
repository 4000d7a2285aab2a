import type { paths } from '@attest/task-form/api';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';
import { attempt } from '../../ui/problem.ts';
import { SignerPassword } from '../../ui/SignatureDialog.tsx';

export type Equipment = Schemas['Equipment'];

/** What a person records from the page: a cleaning, a daily check, or a status. */
export type ActKind = 'cleaned' | 'daily_check' | 'status';

/** The statuses a person records, as the logbook's acts; calibration and qualification are signed. */
type StatusAct =
  'dirty' | 'out_of_service' | 'maintenance_started' | 'maintenance_ended' | 'calibrated' | 'qualified';
const STATUS_ACTS: StatusAct[] = [
  'dirty',
  'out_of_service',
  'maintenance_started',
  'maintenance_ended',
  'calibrated',
  'qualified',
];
const STATUS_ACT_KEYS: Record<StatusAct, MessageKey> = {
  dirty: 'equipment.act.dirty',
  out_of_service: 'equipment.act.out_of_service',
  maintenance_started: 'equipment.act.maintenance_started',
  maintenance_ended: 'equipment.act.maintenance_ended',
  calibrated: 'equipment.act.calibrated',
  qualified: 'equipment.act.qualified',
};

type EventBody = paths['/api/equipment/{code}/events']['post']['requestBody']['content']['application/json'];

/** The logbook event a status act records, with what a calibration or qualification states. */
function statusEvent(
  act: StatusAct,
  due: string,
  document: string,
  password: string,
): Omit<EventBody, 'reason'> {
  switch (act) {
    case 'dirty':
    case 'out_of_service':
      return { type: 'status_set', status: act };
    case 'calibrated':
      return { type: act, calibrationDue: due, certificate: document, password };
    case 'qualified':
      return { type: act, qualificationDue: due, report: document, password };
    default:
      return { type: act };
  }
}

/**
 * Records a logbook event of a piece of equipment, with a reason (F2): that it was cleaned, its
 * daily check, or a status. A calibration or qualification is signed: the password again (B1).
 */
export function EquipmentActDialog(props: {
  equipment: Equipment;
  kind: ActKind;
  onClose(done: boolean): void;
}) {
  const { equipment, kind } = props;
  const [passed, setPassed] = useState(true);
  const [act, setAct] = useState<StatusAct>('dirty');
  const [due, setDue] = useState('');
  const [document, setDocument] = useState('');
  const [password, setPassword] = useState('');
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const signed = kind === 'status' && (act === 'calibrated' || act === 'qualified');

  const submit = async (): Promise<string | null> => {
    const why = reason.trim();
    setReasonError(why ? null : t('admin.required'));
    if (!why) return t('admin.reasonMissing');
    const event =
      kind === 'cleaned'
        ? { type: 'cleaned' as const }
        : kind === 'daily_check'
          ? { type: 'daily_check' as const, passed }
          : statusEvent(act, due, document.trim(), password);
    const refused = await attempt(() =>
      api.post('/api/equipment/{code}/events', {
        path: { code: equipment.code },
        body: { ...event, reason: why },
      }),
    );
    if (refused !== null && signed) {
      setPassword('');
      passwordInput.current?.focus();
    }
    return refused;
  };

  const titles: Record<ActKind, MessageKey> = {
    cleaned: 'equipment.cleanedTitle',
    daily_check: 'equipment.checkTitle',
    status: 'equipment.statusTitle',
  };
  return (
    <ModalForm
      id="equipment-act-dialog"
      title={t(titles[kind], { code: equipment.code })}
      confirm={t('equipment.record')}
      submit={submit}
      onClose={props.onClose}
    >
      {kind === 'cleaned' ? <p>{t('equipment.cleanedText')}</p> : null}
      {kind === 'daily_check' ? (
        <fieldset class="choice" id="check-result">
          {[true, false].map((value) => (
            <label key={String(value)} class="check">
              <input
                type="radio"
                name="check-result"
                value={String(value)}
                checked={passed === value}
                onChange={() => setPassed(value)}
              />
              {t(value ? 'equipment.checkPassed' : 'equipment.checkFailed')}
            </label>
          ))}
        </fieldset>
      ) : null}
      {kind === 'status' ? (
        <Field id="equipment-act" label={t('equipment.act')}>
          <select
            {...fieldProps('equipment-act', undefined)}
            value={act}
            onChange={(event) => setAct(event.currentTarget.value as StatusAct)}
          >
            {STATUS_ACTS.map((a) => (
              <option key={a} value={a}>
                {t(STATUS_ACT_KEYS[a])}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {signed ? (
        <>
          <Field id="equipment-due" label={t('equipment.nextDue')}>
            <input
              type="date"
              {...fieldProps('equipment-due', undefined)}
              value={due}
              onInput={(event) => setDue(event.currentTarget.value)}
            />
          </Field>
          <Field
            id="equipment-document"
            label={t(act === 'calibrated' ? 'equipment.certificate' : 'equipment.report')}
          >
            <input
              type="text"
              {...fieldProps('equipment-document', undefined)}
              value={document}
              onInput={(event) => setDocument(event.currentTarget.value)}
            />
          </Field>
        </>
      ) : null}
      <Field id="equipment-reason" label={t('admin.reason')} hint={t('admin.reasonHint')} error={reasonError}>
        <textarea
          rows={2}
          maxLength={1000}
          {...fieldProps('equipment-reason', reasonError)}
          value={reason}
          onInput={(event) => setReason(event.currentTarget.value)}
        />
      </Field>
      {signed ? (
        <SignerPassword
          id="equipment-password"
          value={password}
          onInput={setPassword}
          inputRef={passwordInput}
        />
      ) : null}
    </ModalForm>
  );
}
