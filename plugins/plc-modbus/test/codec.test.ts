import assert from 'node:assert/strict';
import {
  decodeRaw,
  decodeRegisters,
  encodeRegisters,
  resolveSettings,
  WriteRefusedError,
  type Channel,
  type ResolvedChannel,
} from '../src/index.ts';

/** A channel as the settings resolve it, named `c`. */
function channel(c: Channel): ResolvedChannel {
  const resolved = resolveSettings({ transport: 'tcp', host: 'plc', channels: { c } }).channels.get('c');
  assert.ok(resolved);
  return resolved;
}

const ORDERS = [
  ['big', 'big'],
  ['little', 'big'],
  ['big', 'little'],
  ['little', 'little'],
] as const;

describe('Modbus register decoding and encoding', () => {
  it('decodes int16 and uint16 from one register, two’s complement for the signed type', () => {
    assert.equal(decodeRaw([0xff85], channel({ area: 'holding', address: 0, type: 'int16' })), -123);
    assert.equal(decodeRaw([0xff85], channel({ area: 'holding', address: 0, type: 'uint16' })), 65413);
    assert.equal(decodeRaw([0x7fff], channel({ area: 'input', address: 0, type: 'int16' })), 32767);
    assert.equal(decodeRaw([0x8000], channel({ area: 'input', address: 0, type: 'int16' })), -32768);
  });

  // -123456789 = 0xF8A432EB; 3000000000 = 0xB2D05E00; 123.456f = 0x42F6E979; π = 0x400921FB54442D18
  const cases: {
    type: 'int32' | 'uint32' | 'float32' | 'float64';
    value: number;
    words: Record<string, number[]>;
  }[] = [
    {
      type: 'int32',
      value: -123456789,
      words: {
        'big/big': [0xf8a4, 0x32eb],
        'little/big': [0x32eb, 0xf8a4],
        'big/little': [0xa4f8, 0xeb32],
        'little/little': [0xeb32, 0xa4f8],
      },
    },
    {
      type: 'uint32',
      value: 3000000000,
      words: {
        'big/big': [0xb2d0, 0x5e00],
        'little/big': [0x5e00, 0xb2d0],
        'big/little': [0xd0b2, 0x005e],
        'little/little': [0x005e, 0xd0b2],
      },
    },
    {
      type: 'float32',
      value: 123.456,
      words: {
        'big/big': [0x42f6, 0xe979],
        'little/big': [0xe979, 0x42f6],
        'big/little': [0xf642, 0x79e9],
        'little/little': [0x79e9, 0xf642],
      },
    },
    {
      type: 'float64',
      value: Math.PI,
      words: {
        'big/big': [0x4009, 0x21fb, 0x5444, 0x2d18],
        'little/big': [0x2d18, 0x5444, 0x21fb, 0x4009],
        'big/little': [0x0940, 0xfb21, 0x4454, 0x182d],
        'little/little': [0x182d, 0x4454, 0xfb21, 0x0940],
      },
    },
  ];
  for (const { type, value, words } of cases) {
    for (const [wordOrder, byteOrder] of ORDERS) {
      const key = `${wordOrder}/${byteOrder}`;
      const expected = words[key] as number[];
      it(`decodes and encodes ${type} with ${wordOrder}-endian words and ${byteOrder}-endian bytes`, () => {
        const c = channel({ area: 'holding', address: 10, type, wordOrder, byteOrder });
        assert.equal(decodeRegisters(expected, c), value);
        assert.deepEqual(encodeRegisters(value, c), expected);
      });
    }
  }

  it('gives a float32 as the shortest decimal that is the same float32', () => {
    const c = channel({ area: 'input', address: 0, type: 'float32' });
    assert.equal(decodeRegisters([0xbdcc, 0xcccd], c), -0.1);
    assert.equal(decodeRegisters([0x4148, 0x0000], c), 12.5);
  });

  it('reads a bool register as true when it is not 0', () => {
    const c = channel({ area: 'holding', address: 0, type: 'bool' });
    assert.equal(decodeRegisters([0], c), false);
    assert.equal(decodeRegisters([2], c), true);
    assert.deepEqual(encodeRegisters(true, c), [1]);
  });

  it('applies value = raw × scale + offset, and its inverse on write', () => {
    const tenths = channel({ area: 'input', address: 0, type: 'int16', scale: 0.1 });
    assert.equal(decodeRegisters([0x00d7], tenths), 21.5);
    assert.equal(decodeRegisters([0xfff6], tenths), -1);
    assert.deepEqual(encodeRegisters(-1, tenths), [0xfff6]);
    const kelvin = channel({ area: 'holding', address: 0, type: 'uint16', scale: 0.01, offset: -273.15 });
    assert.equal(decodeRegisters([1000], kelvin), -263.15);
    assert.equal(decodeRegisters([29315], kelvin), 20);
    assert.deepEqual(encodeRegisters(20, kelvin), [29315]);
    const float = channel({ area: 'holding', address: 0, type: 'float32', scale: 2, offset: 1 });
    assert.equal(decodeRegisters([0x4148, 0x0000], float), 26);
    assert.deepEqual(encodeRegisters(26, float), [0x4148, 0x0000]);
  });

  it('refuses a value out of range for the type, naming the range', () => {
    const refuse = (c: Channel, value: number | string | boolean, pattern: RegExp): void =>
      assert.throws(
        () => encodeRegisters(value, channel(c)),
        (e: Error) => e instanceof WriteRefusedError && pattern.test(e.message),
      );
    refuse(
      { area: 'holding', address: 0, type: 'int16' },
      32768,
      /out of range for int16 \(-32768 to 32767\)/,
    );
    refuse({ area: 'holding', address: 0, type: 'int16' }, -32769, /out of range/);
    refuse({ area: 'holding', address: 0, type: 'uint16' }, -1, /out of range for uint16/);
    refuse(
      { area: 'holding', address: 0, type: 'int16', scale: 0.1 },
      3276.8,
      /out of range .*-3276\.8 to 3276\.7/,
    );
    refuse({ area: 'holding', address: 0, type: 'uint32' }, 4294967296, /out of range for uint32/);
    refuse({ area: 'holding', address: 0, type: 'int32' }, -2147483649, /out of range for int32/);
    refuse({ area: 'holding', address: 0, type: 'float32' }, 1e39, /out of range for float32/);
    refuse(
      { area: 'holding', address: 0, type: 'int16', scale: 0.1 },
      12.34,
      /whole number of steps of 0\.1/,
    );
    refuse({ area: 'holding', address: 0, type: 'uint16' }, 1.5, /cannot hold it exactly/);
    refuse({ area: 'holding', address: 0, type: 'float64' }, Number.NaN, /finite number/);
    refuse({ area: 'holding', address: 0, type: 'uint16' }, '12', /finite number, not "12"/);
    refuse({ area: 'coil', address: 0 }, 1, /true or false/);
  });
});
