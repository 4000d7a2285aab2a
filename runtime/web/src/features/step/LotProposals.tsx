import type { TaskForm } from '@attest/task-form';
import { t } from '@attest/task-form/i18n';

/**
 * Beside the form, for each lot field of the step: the material the step names and the lot first
 * expiry, first out proposes (released, unexpired, with stock), with a button that puts it in the
 * field. The operator may scan another lot; the server then asks for the reason before the
 * signature. A material with no usable lot says so, so nobody scans lots in vain.
 */
export function LotProposals(props: { contract: TaskForm; onUse(pointer: string, lotNumber: string): void }) {
  const lots = props.contract.fields.filter((f) => f.gate?.kind === 'lot' && f.gate.material && !f.locked);
  if (lots.length === 0) return null;
  return (
    <section class="panel lot-proposals" id="lot-proposals" aria-labelledby="lot-proposals-title">
      <h2 id="lot-proposals-title">{t('lot.proposals')}</h2>
      <ul>
        {lots.map((f) => {
          const gate = f.gate as Extract<NonNullable<typeof f.gate>, { kind: 'lot' }>;
          const proposal = gate.proposal;
          return (
            <li key={f.pointer} data-pointer={f.pointer}>
              <p>
                <strong>{f.label}</strong>
                {' · '}
                {t('lot.material', { material: gate.material ?? '' })}
              </p>
              {proposal ? (
                <p class="lot-proposal">
                  {t('lot.fefo', {
                    lot: proposal.lotNumber,
                    expiry: proposal.expiryDate,
                    available: `${proposal.available} ${proposal.unit}`,
                  })}{' '}
                  <button
                    type="button"
                    class="secondary"
                    data-lot={proposal.lotNumber}
                    onClick={() => props.onUse(f.pointer, proposal.lotNumber)}
                  >
                    {t('lot.use', { lot: proposal.lotNumber })}
                  </button>
                </p>
              ) : (
                <p class="lot-proposal none">{t('lot.none', { material: gate.material ?? '' })}</p>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
