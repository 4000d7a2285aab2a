import assert from 'node:assert/strict';
import { canonicalize, contentHash, sha256Hex } from '../src/kernel/canonicalJson.ts';
import { canonicalEventParts, eventHash, GENESIS_HASH } from '../src/audit/eventHash.ts';

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

describe('Feature: event hashes computed by the database', () => {
  it('the text split around seq is exactly the canonical JSON of the whole event', () => {
    const event = {
      recordId: '2f0c7a4e-8a57-4d4f-9a3c-6f1f0f0e9b11',
      recordType: 'record' as const,
      type: 'record.updated',
      actorId: null,
      actorName: 'Zoë "Z" Ørsted',
      at: '2026-11-24T08:00:00.000Z',
      payload: { changes: [{ path: '/weight', old: 1e21, new: 0.1 }], seq: 0, type: 'x' },
      reason: 'line\nbreak',
    };
    const { before, after } = canonicalEventParts(event);
    assert.equal(`${before}42${after}`, canonicalize({ ...event, seq: 42 }));
    assert.equal(
      eventHash({ ...event, seq: 42, prevHash: GENESIS_HASH }),
      sha256Hex(canonicalize({ ...event, seq: 42 }) + GENESIS_HASH),
    );
  });
});
