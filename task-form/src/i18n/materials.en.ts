/** The strings of material lots in the step view (the FEFO proposal, a lot used out of FEFO order), in English. */
export const materialsEn = {
  'lot.proposals': 'Material lots for this step',
  'lot.material': 'material {material}',
  'lot.fefo': 'First expiry, first out: lot {lot}, expires {expiry}, {available} in stock.',
  'lot.use': 'Use lot {lot}',
  'lot.none':
    'No released lot of {material} with stock is in date. Do not use another material: tell your supervisor.',
  'breach.titleMixed': 'Exceptions to confirm',
  'breach.textMixed':
    '{count, plural, one {Completing the step records this as an exception for QA to decide on.} other {Completing the step records each of these # as an exception for QA to decide on.}}',
  'breach.fefoReason': 'Why not the lot that expires first? (required)',
  'breach.fefoReasonRequired': 'Give the reason for using this lot out of FEFO order',
} as const;
