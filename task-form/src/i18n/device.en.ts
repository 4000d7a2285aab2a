/** The strings of device capture in the step view (Take reading), in English. */
export const deviceEn = {
  'device.title': 'Readings from devices',
  'device.hint':
    'The server reads the device and enters the value with the device’s own answer. Typing a value in place of the device is recorded as an exception.',
  'device.choose': 'Device',
  'device.chooseOne': 'Choose a device',
  'device.none':
    'No device of this kind is registered. Enter the value by hand; it is recorded as an exception.',
  'device.state.calibration_due': 'calibration due',
  'device.state.out_of_service': 'out of service',
  'device.take': 'Take reading',
  'device.tare': 'Tare',
  'device.zero': 'Zero',
  'device.live': 'On the device now: {value}',
  'device.stable': 'stable',
  'device.unstable': 'not stable',
  'device.waiting': 'Waiting for the device…',
  'device.liveProblem': 'No live reading: {message}',
  'device.taken': '{field}: {value} entered from {device}.',
  'device.tared': '{device} was tared.',
  'device.zeroed': '{device} was zeroed.',
  'device.entered': 'Entered from {device}: {value} · the device answered “{raw}”',
  'device.reasonFirst':
    'A value is entered already. Give the reason in “{label}” below, then take the reading again.',
} as const;
