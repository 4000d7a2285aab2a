import assert from 'node:assert/strict';
import { canonicalize, contentHash } from '../src/canonicalJson.ts';

describe('Feature: RFC 8785 canonical JSON', () => {
  it('sorts members by UTF-16 code units and drops whitespace', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Expected order from RFC 8785 §3.2.3.
    const keys = Object.keys(JSON.parse(canonicalize(value)) as object);
    assert.deepEqual(keys.slice(1), ['\r', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    assert.equal(
      canonicalize({ b: [1, { d: true, c: null }], a: 'x' }),
      '{"a":"x","b":[1,{"c":null,"d":true}]}',
    );
  });

  it('writes numbers in their shortest ECMAScript form', () => {
    assert.equal(
      canonicalize([1.0, -0, 1e21, 1e-7, 333333333.3333333, 4.5]),
      '[1,0,1e+21,1e-7,333333333.3333333,4.5]',
    );
  });

  it('refuses what is not JSON instead of dropping it silently', () => {
    assert.throws(() => canonicalize({ a: Number.NaN }), /NaN/);
    assert.throws(() => canonicalize([undefined]), /undefined/);
    assert.throws(() => canonicalize({ f: () => 1 }), /function/);
  });

  it('gives the same hash whatever the member order', () => {
    assert.equal(contentHash({ a: 1, b: { c: 2, d: 3 } }), contentHash({ b: { d: 3, c: 2 }, a: 1 }));
  });
});
