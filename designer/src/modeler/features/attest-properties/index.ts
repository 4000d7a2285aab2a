import AttestPropertiesProvider from './AttestPropertiesProvider.ts';

/** The "Attest (GMP)" group of the properties panel. */
export default {
  __init__: ['attestPropertiesProvider'],
  attestPropertiesProvider: ['type', AttestPropertiesProvider],
};
