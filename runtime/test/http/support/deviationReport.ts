/** The report step of the shipped deviation template, as an operator fills it in. */
export const deviationReport = (batch = 'B-2026-014') => ({
  title: 'Torn liner on a lactose drum',
  description: 'The inner liner of drum 3 of lactose lot L-778 was torn at receipt in dispensing.',
  area: 'dispensing',
  occurredAt: '2026-11-24T08:30:00.000Z',
  detection: 'Visual check before weighing',
  affectedBatches: [{ batch }],
  equipment: 'BAL-007',
  productMaterial: 'Lactose monohydrate, lot L-778',
  immediateActions: 'Drum quarantined; weighing stopped; QA informed.',
  proposedClassification: 'minor',
});
