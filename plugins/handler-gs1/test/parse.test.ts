import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { runHandler } from '@attest/plugin-testing';
import { createHandlers, handlers, parseElementString } from '../src/index.ts';

const parse = handlers['gs1.parse']!;
const GS = '\u001d';
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  attest: { kind: string; entry: string; settings: Record<string, unknown> };
};

/** The code's failure as the model sees it: its BPMN error code and message. */
async function refusal(code: string) {
  const outcome = await runHandler(parse, { variables: { code } });
  assert.equal(outcome.kind, 'error', `${JSON.stringify(code)} was read: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('Feature: gs1.parse reads a GS1 element string into GTIN, lot, expiry and serial number', () => {
  it('reads a GS1 DataMatrix as the scanner sends it: symbology identifier, FNC1 after the lot', async () => {
    const code = `]d20109506000134352172812311010-A/42${GS}21SN000017\r\n`;
    assert.deepEqual(await runHandler(parse, { variables: { code } }), {
      kind: 'variables',
      variables: { gtin: '09506000134352', lot: '10-A/42', expiry: '2028-12-31', serial: 'SN000017' },
    });
  });

  it('reads the same from the text printed under the code, in any order', async () => {
    const code = '(21)SN000017(10)10-A/42(17)281231(01)09506000134352';
    assert.deepEqual(await runHandler(parse, { variables: { code } }), {
      kind: 'variables',
      variables: { gtin: '09506000134352', lot: '10-A/42', expiry: '2028-12-31', serial: 'SN000017' },
    });
  });

  it('sets what the code does not carry to null, so that no earlier value stays', async () => {
    assert.deepEqual(await runHandler(parse, { variables: { code: ']C10109506000134352' } }), {
      kind: 'variables',
      variables: { gtin: '09506000134352', lot: null, expiry: null, serial: null },
    });
  });

  it('reads day 00 as the month’s last day, and a two-digit year in its century as GS1 says', () => {
    assert.equal(parseElementString('17280200', GS, 2026).expiry, '2028-02-29');
    assert.equal(parseElementString('17990101', GS, 2026).expiry, '1999-01-01');
    assert.equal(parseElementString('17750101', GS, 2026).expiry, '2075-01-01');
    assert.equal(parseElementString('17010101', GS, 2098).expiry, '2101-01-01');
  });

  it('gives the model GS1_CHECK_DIGIT for a GTIN misread, and GS1_DATE for an expiry that is no date', async () => {
    assert.deepEqual(await refusal('(01)09506000134353(10)A1'), {
      kind: 'error',
      code: 'GS1_CHECK_DIGIT',
      message: 'The check digit of GTIN 09506000134353 is wrong',
    });
    for (const expiry of ['281301', '270230', '280132'])
      assert.equal((await refusal(`(17)${expiry}`)).code, 'GS1_DATE', expiry);
  });

  it('gives the model GS1_SYNTAX, saying what is wrong, for what it cannot read', async () => {
    for (const [code, message] of [
      ['', /empty/],
      ['hello', /does not start with an application identifier/],
      [']E00123456789012', /Symbology \]E0/],
      ['(01)09506000134352(240)X', /\(240\) is not one gs1.parse reads/],
      ['0109506000134352' + '11280101', /\(11\) is not one gs1.parse reads/],
      ['(01)0950600013435', /GTIN \(01\) must be 14 digits/],
      ['(10)A1(10)A2', /\(10\) appears twice/],
      ['(10)' + 'L'.repeat(21), /lot number \(10\) must be 1 to 20 GS1 characters/],
      ['(21)SN 1', /serial number \(21\) must be 1 to 20 GS1 characters/],
      ['(01)09506000134352 junk', /must be 14 digits/],
      ['x(01)09506000134352', /does not start with an application identifier/],
    ] as const) {
      const outcome = await refusal(code);
      assert.equal(outcome.code, 'GS1_SYNTAX', code);
      assert.match(outcome.message ?? '', message);
    }
  });

  it('fails, for an incident, when the model gives it no code', async () => {
    await assert.rejects(runHandler(parse, { variables: {} }), /needs the variable code/);
  });

  it('reads a lot ended by the separator the plant’s scanners send instead of GS', async () => {
    const scannedWithPipe = createHandlers({ groupSeparator: '|' })['gs1.parse']!;
    assert.deepEqual(await runHandler(scannedWithPipe, { variables: { code: '10LOT7|21S1' } }), {
      kind: 'variables',
      variables: { gtin: null, lot: 'LOT7', expiry: null, serial: 'S1' },
    });
    assert.throws(() => createHandlers({ groupSeparator: '1' }), /one character that no lot/);
  });

  it('is a handler plugin whose settings schema takes GS, another separator, and refuses a digit', () => {
    assert.equal(manifest.attest.kind, 'handler');
    assert.equal(manifest.attest.entry, './src/index.ts');
    const valid = new Ajv2020({ strict: true }).compile(manifest.attest.settings);
    assert.ok(valid({}));
    assert.ok(valid({ groupSeparator: GS }));
    assert.ok(valid({ groupSeparator: '|' }));
    assert.ok(!valid({ groupSeparator: '1' }));
    assert.ok(!valid({ groupSeparator: '||' }));
    assert.ok(!valid({ scanner: 'x' }));
  });
});
