import assert from 'node:assert/strict';
import { ref } from '../../src/http/components.ts';
import { json, noContent, ok, operation } from '../../src/http/operation.ts';

/*
 * What these scenarios check happens when the project is type-checked: each `@ts-expect-error`
 * fails the typecheck unless the line below it is refused. At run time they only declare. A field
 * the schema does not know is caught at run time instead, by the contract checks of every response:
 * TypeScript does not refuse extra fields of a value built elsewhere.
 */
describe('Feature: a handler answers what its operation declares', () => {
  const incident = {
    id: '6f1c2a8e-0b7d-4c3e-9a55-0d8f3b6e2c11',
    instanceId: '0b5e7d1a-2c4f-4e8b-9d3a-6f7c8e9a1b2c',
    elementId: 'weigh',
    message: 'No outgoing flow matches',
    createdAt: '2026-12-07T06:00:00.000Z',
  };
  const declare = {
    id: 'readIncident',
    method: 'get',
    path: '/api/incidents/{id}',
    tag: 'tasks',
    summary: 'An incident',
    access: 'public',
  } as const;

  it('Scenario: a body that fits the declared component compiles', () => {
    const op = operation({
      ...declare,
      responses: { 200: json('The incident', ref('Incident')) },
      handle: async () => ok(incident),
    });
    assert.equal(op.id, 'readIncident');
  });

  it('Scenario: a body that misses a required field or has a wrong type does not', () => {
    const ops = [
      operation({
        ...declare,
        responses: { 200: json('The incident', ref('Incident')) },
        // @ts-expect-error -- `message` is required
        handle: async () => ok({ ...incident, message: undefined }),
      }),
      operation({
        ...declare,
        responses: { 200: json('The incident', ref('Incident')) },
        // @ts-expect-error -- `elementId` is never null
        handle: async () => ok({ ...incident, elementId: null }),
      }),
      operation({
        ...declare,
        responses: { 200: json('The incident', ref('Incident')) },
        // @ts-expect-error -- `createdAt` is a string
        handle: async () => ok({ ...incident, createdAt: 1 }),
      }),
    ];
    assert.equal(ops.length, 3);
  });

  it('Scenario: a status the operation does not declare does not compile', () => {
    const op = operation({
      ...declare,
      responses: { 200: json('The incident', ref('Incident')) },
      // @ts-expect-error -- 204 is not declared
      handle: async () => noContent(),
    });
    assert.equal(op.method, 'get');
  });
});
