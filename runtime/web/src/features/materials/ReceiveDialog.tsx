import { t } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { Problem } from '../../api.ts';
import { api, type Schemas } from '../../api/client.ts';
import { errorsAtFields, Field, fieldProps } from '../../ui/Field.tsx';
import { ModalForm } from '../../ui/ModalForm.tsx';
import { problemText } from '../../ui/problem.ts';
import type { LotDetail } from './lotStatus.tsx';

type Material = Schemas['Material'];

const FIELDS = {
  material: '/material',
  supplier: '/supplier',
  supplierLot: '/supplierLot',
  containers: '/containers',
  expiryDate: '/expiryDate',
  location: '/location',
} as const;
type FieldName = keyof typeof FIELDS;

/**
 * Receiving a lot into quarantine (F3): the material and an approved supplier, the supplier's lot
 * number, each container with what it holds, the expiry date and where it is stored. What the
 * server refuses is shown at the field it names.
 */
export function ReceiveDialog(props: {
  materials: Material[];
  received(lot: LotDetail): void;
  onClose(done: boolean): void;
}) {
  const [material, setMaterial] = useState(props.materials.length === 1 ? props.materials[0]!.code : '');
  const [supplier, setSupplier] = useState('');
  const [supplierLot, setSupplierLot] = useState('');
  const [containers, setContainers] = useState(['']);
  const [expiryDate, setExpiryDate] = useState('');
  const [location, setLocation] = useState('');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const chosen = props.materials.find((m) => m.code === material);
  const suppliers = (chosen?.suppliers ?? []).filter((s) => s.status !== 'blocked');
  const unit = chosen?.baseUnit ?? '';

  const submit = async (): Promise<string | null> => {
    const quantities = containers.map(Number);
    if (quantities.some((q, i) => containers[i]!.trim() === '' || !(q > 0))) {
      setErrors({ containers: t('lots.notANumber') });
      return t('lots.notANumber');
    }
    setErrors({});
    try {
      props.received(
        await api.post('/api/lots', {
          body: {
            material,
            supplier,
            supplierLot: supplierLot.trim(),
            containers: quantities.map((quantity) => ({ quantity })),
            ...(expiryDate && { expiryDate }),
            location: location.trim(),
          },
        }),
      );
      return null;
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      const { at, rest } = errorsAtFields(error.errors, FIELDS);
      setErrors(at);
      return rest.length > 0 || Object.keys(at).length === 0 ? problemText(error) : error.detail;
    }
  };

  const text = (name: FieldName, value: string, set: (v: string) => void, type = 'text') => (
    <input
      type={type}
      {...fieldProps(`receive-${name}`, errors[name])}
      value={value}
      onInput={(event) => set(event.currentTarget.value)}
    />
  );
  return (
    <ModalForm
      id="receive-dialog"
      title={t('lots.receiveTitle')}
      confirm={t('lots.receiveConfirm')}
      submit={submit}
      onClose={props.onClose}
    >
      <Field id="receive-material" label={t('lots.material')} error={errors.material ?? null}>
        <select
          {...fieldProps('receive-material', errors.material)}
          value={material}
          onChange={(event) => {
            setMaterial(event.currentTarget.value);
            setSupplier('');
          }}
        >
          <option value="">{t('lots.chooseMaterial')}</option>
          {props.materials.map((m) => (
            <option key={m.code} value={m.code}>{`${m.code} · ${m.name}`}</option>
          ))}
        </select>
      </Field>
      <Field id="receive-supplier" label={t('lots.supplier')} error={errors.supplier ?? null}>
        <select
          {...fieldProps('receive-supplier', errors.supplier)}
          value={supplier}
          onChange={(event) => setSupplier(event.currentTarget.value)}
        >
          <option value="">{t('lots.chooseSupplier')}</option>
          {suppliers.map((s) => (
            <option key={s.code} value={s.code}>{`${s.code} · ${s.name}`}</option>
          ))}
        </select>
      </Field>
      <Field id="receive-supplierLot" label={t('lots.supplierLot')} error={errors.supplierLot ?? null}>
        {text('supplierLot', supplierLot, setSupplierLot)}
      </Field>
      <fieldset class="receive-containers" id="receive-containers">
        <legend>{t('lots.containers')}</legend>
        {containers.map((quantity, i) => (
          <Field
            key={i}
            id={`receive-container-${i + 1}`}
            label={t('lots.containerQuantity', { number: i + 1, unit })}
          >
            <input
              type="number"
              inputMode="decimal"
              min="0"
              step="any"
              {...fieldProps(`receive-container-${i + 1}`, errors.containers)}
              value={quantity}
              onInput={(event) => {
                const value = event.currentTarget.value;
                setContainers((all) => all.map((q, j) => (j === i ? value : q)));
              }}
            />
          </Field>
        ))}
        <p class="field-error" id="receive-containers-error" hidden={!errors.containers}>
          {errors.containers}
        </p>
        <div class="admin-row-actions">
          <button type="button" id="receive-add" onClick={() => setContainers((all) => [...all, ''])}>
            {t('lots.addContainer')}
          </button>
          <button
            type="button"
            id="receive-remove"
            disabled={containers.length === 1}
            onClick={() => setContainers((all) => all.slice(0, -1))}
          >
            {t('lots.removeContainer')}
          </button>
        </div>
      </fieldset>
      <Field
        id="receive-expiryDate"
        label={t('lots.expiryDate')}
        hint={t('lots.expiryHint')}
        error={errors.expiryDate ?? null}
      >
        {text('expiryDate', expiryDate, setExpiryDate, 'date')}
      </Field>
      <Field id="receive-location" label={t('lots.location')} error={errors.location ?? null}>
        {text('location', location, setLocation)}
      </Field>
    </ModalForm>
  );
}
