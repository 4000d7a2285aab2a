import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../api/client.ts';
import { Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';
import { attempt } from '../../ui/problem.ts';
import { SignatureDialog } from '../../ui/SignatureDialog.tsx';

export type Equipment = Schemas['Equipment'];

/** What a person records from the page: a cleaning, a daily check, or a status. */
export type ActKind = 'cleaned' | 'daily_check' | 'status';

/** The statuses a person records, as the logbook's acts; calibration and qualification are signed apart. */
type StatusAct = 'dirty' | 'out_of_service' | 'maintenance_started' | 'maintenance_ended';
const STATUS_ACT_KEYS: Record<StatusAct, MessageKey> = {
  dirty: 'equipment.act.dirty',
  out_of_service: 'equipment.act.out_of_service',
  maintenance_started: 'equipment.act.maintenance_started',
  maintenance_ended: 'equipment.act.maintenance_ended',
};

/**
 * Records a logbook event of a piece of equipment, with a reason (F2): that it was cleaned, its
 * daily check, or a status.
 */
export function EquipmentActDialog(props: {
  equipment: Equipment;
  kind: ActKind;
  onClose(done: boolean): void;
}) {
  const { equipment, kind } = props;
  const [passed, setPassed] = useState(true);
  const [act, setAct] = useState<StatusAct>('dirty');
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);

  const submit = async (): Promise<string | null> => {
    const why = reason.trim();
    setReasonError(why ? null : t('admin.required'));
    if (!why) return t('admin.reasonMissing');
    const event =
      kind === 'cleaned'
        ? { type: 'cleaned' as const }
        : kind === 'daily_check'
          ? { type: 'daily_check' as const, passed }
          : act === 'dirty' || act === 'out_of_service'
            ? { type: 'status_set' as const, status: act }
            : { type: act };
    return attempt(() =>
      api.post('/api/equipment/{code}/events', {
        path: { code: equipment.code },
        body: { ...event, reason: why },
      }),
    );
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
            {(Object.keys(STATUS_ACT_KEYS) as StatusAct[]).map((a) => (
              <option key={a} value={a}>
                {t(STATUS_ACT_KEYS[a])}
              </option>
            ))}
          </select>
        </Field>
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
    </ModalForm>
  );
}

/** A signed logbook act: a calibration with its certificate, or a qualification with its report. */
export type SignedAct = 'calibrated' | 'qualified';

/**
 * A calibration or qualification (F2): the next due date and the certificate or report it rests
 * on, signed as Approved with the password again and a reason (B1, B3). Whatever is refused keeps
 * the dialog open with what to correct.
 */
export function SignedActDialog(props: {
  equipment: Equipment;
  act: SignedAct;
  signer: { printedName: string; username: string };
  onClose(done: boolean): void;
}) {
  const { equipment, act } = props;
  const calibration = act === 'calibrated';
  const [due, setDue] = useState('');
  const [document, setDocument] = useState('');
  const facts = () =>
    calibration
      ? { type: act, calibrationDue: due, certificate: document.trim() }
      : { type: act, qualificationDue: due, report: document.trim() };
  return (
    <SignatureDialog
      id="equipment-signed-dialog"
      title={t(calibration ? 'equipment.calibratedTitle' : 'equipment.qualifiedTitle', {
        code: equipment.code,
      })}
      meaning="Approved"
      wording="admin"
      signer={props.signer}
      reason="required"
      sign={(signature) =>
        attempt(() =>
          api.post('/api/equipment/{code}/events', {
            path: { code: equipment.code },
            body: { ...facts(), password: signature.password, reason: signature.reason ?? '' },
          }),
        )
      }
      onClose={props.onClose}
    >
      <Field id="equipment-due" label={t('equipment.nextDue')}>
        <input
          type="date"
          {...fieldProps('equipment-due', undefined)}
          value={due}
          onInput={(event) => setDue(event.currentTarget.value)}
        />
      </Field>
      <Field id="equipment-document" label={t(calibration ? 'equipment.certificate' : 'equipment.report')}>
        <input
          type="text"
          {...fieldProps('equipment-document', undefined)}
          value={document}
          onInput={(event) => setDocument(event.currentTarget.value)}
        />
      </Field>
    </SignatureDialog>
  );
}
