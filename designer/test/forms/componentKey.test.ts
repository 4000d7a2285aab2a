import assert from 'node:assert/strict';
import { compileForm } from '../../../engine/src/index.ts';
import { KEY_PATTERN, keyFor } from '../../src/forms/componentKey.ts';

describe('Feature: a new component’s key, derived from its label, is one the engine accepts', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ label: 'Net weight', type: 'measuredValue' }, 'netWeight'],
    [{ label: 'pH (at 20 °C)', type: 'number' }, 'pHAt20C'],
    [{ label: '2nd reading', type: 'number' }, 'ndReading'],
    [{ label: '批号', type: 'materialLot' }, 'materialLot'],
    [{ label: '称量 weight', type: 'measuredValue' }, 'weight'],
    [{ title: 'Weighing', type: 'panel' }, 'weighing'],
    [{ label: '', type: '' }, 'field'],
  ];
  for (const [component, key] of cases)
    it(`${JSON.stringify(component.label ?? component.title)} → ${key}`, () => {
      assert.equal(keyFor(component), key);
      assert.match(key, new RegExp(KEY_PATTERN));
    });

  it('the engine takes it', () => {
    const key = keyFor({ label: '设备编号 Scale ID', type: 'equipmentId' });
    assert.doesNotThrow(() => compileForm({ components: [{ type: 'equipmentId', key, input: true }] }));
  });
});
