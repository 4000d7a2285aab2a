import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEMO_USERS } from '@attest/engine';
import { COMPLIANCE_FILE, render } from '../../scripts/compliance.ts';

describe('Feature: the README tells the truth', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('opens with the two commands a newcomer needs', () => {
    const code = readme.split('```')[1]!;
    assert.match(code, /^sh\nnpm install && npm start\s+#/);
    assert.match(code, /\nnpm test\s+#/);
  });

  it('prints the demo logins npm start creates', () => {
    for (const u of DEMO_USERS) {
      assert.match(
        readme,
        new RegExp(
          `\\| \`${u.username}\`\\s+\\| \`${u.password}\`\\s+\\| ${u.roles[0]}\\s+\\| ${u.printedName}`,
        ),
      );
    }
  });
});

describe('Feature: the compliance matrix is current', () => {
  it('lists every requirement id that a test title names, with its test files', () => {
    const current = readFileSync(COMPLIANCE_FILE, 'utf8');
    assert.equal(render(current), current, 'docs/compliance.md is out of date: run npm run compliance');
  });
});
