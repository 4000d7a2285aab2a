import assert from 'node:assert/strict';
import { PERMISSIONS } from '@attest/engine';
import { PERMISSION_LABELS } from '../../web/src/features/admin/permissionLabels.ts';

describe('Feature: the web app names every permission the engine knows', () => {
  it('the role editor offers exactly the engine’s permissions, in its order', () => {
    assert.deepEqual(Object.keys(PERMISSION_LABELS), Object.keys(PERMISSIONS));
  });
});
