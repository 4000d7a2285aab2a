import assert from 'node:assert/strict';
import { runHandler } from '@attest/plugin-testing';
import { handlers } from '../src/index.ts';

const checkDigit = handlers['gs1.checkDigit']!;

describe('Feature: gs1.checkDigit checks and completes GTINs and SSCCs', () => {
  it('accepts a code whose check digit is right, of each length a GS1 key has', async () => {
    for (const code of ['96385074', '036000291452', '9506000134352', '09506000134352', '106141411234567897'])
      assert.deepEqual(await runHandler(checkDigit, { variables: { code } }), {
        kind: 'variables',
        variables: { code, checkDigit: Number(code.at(-1)) },
      });
  });

  it('computes the check digit of the digits before it', async () => {
    assert.deepEqual(await runHandler(checkDigit, { variables: { digits: '950600013435' } }), {
      kind: 'variables',
      variables: { code: '9506000134352', checkDigit: 2 },
    });
    assert.deepEqual(await runHandler(checkDigit, { variables: { digits: '10614141123456789' } }), {
      kind: 'variables',
      variables: { code: '106141411234567897', checkDigit: 7 },
    });
  });

  it('gives the model GS1_CHECK_DIGIT for a misread digit, naming the digit expected', async () => {
    assert.deepEqual(await runHandler(checkDigit, { variables: { code: '9506000134353' } }), {
      kind: 'error',
      code: 'GS1_CHECK_DIGIT',
      message: 'The check digit of 9506000134353 is wrong: 2 is expected',
    });
    // Two neighbouring digits swapped: the weights 3 and 1 tell them apart.
    const swapped = await runHandler(checkDigit, { variables: { code: '9506000134532' } });
    assert.equal(swapped.kind === 'error' && swapped.code, 'GS1_CHECK_DIGIT');
  });

  it('gives the model GS1_SYNTAX for what is no GS1 key', async () => {
    for (const variables of [
      { code: '950600013435' + 'X' },
      { code: '12345' },
      { digits: '09506000134352' },
    ]) {
      const outcome = await runHandler(checkDigit, { variables });
      assert.equal(outcome.kind === 'error' && outcome.code, 'GS1_SYNTAX', JSON.stringify(variables));
    }
  });

  it('fails, for an incident, when the model gives neither code nor digits, or both, or no string', async () => {
    await assert.rejects(runHandler(checkDigit, { variables: {} }), /either the variable code/);
    await assert.rejects(
      runHandler(checkDigit, { variables: { code: '96385074', digits: '9638507' } }),
      /either the variable code/,
    );
    await assert.rejects(
      runHandler(checkDigit, { variables: { code: 9506000134352 } }),
      /code must be a string, not number/,
    );
  });
});
