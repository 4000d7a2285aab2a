import type { MaterialInput, Principal } from '../../src/index.ts';
import { demoPassword, type TestContext } from './testEngine.ts';

export const paracetamol = (over: Partial<MaterialInput> = {}): MaterialInput => ({
  code: 'PCM',
  name: 'Paracetamol',
  type: 'api',
  baseUnit: 'kg',
  storageConditions: 'Below 25 °C, dry',
  retestMonths: 24,
  shelfLifeMonths: 36,
  samplingPlan: 'sqrt_n_plus_1',
  lotNumberPattern: '{material}-{YY}-{seq:4}',
  reason: 'First listing of the material',
  ...over,
});

/** A material with an approved supplier SUP-A (Quinn, QA, signs). */
export async function materialWithSupplier(
  ctx: TestContext,
  quinn: Principal,
  over: Partial<MaterialInput> = {},
  supplier = 'SUP-A',
) {
  const material = await ctx.engine.materials.create(quinn, paracetamol(over));
  return ctx.engine.materials.setSupplier(quinn, material.code, {
    supplierCode: supplier,
    supplierName: 'Acme Fine Chemicals',
    status: 'approved',
    password: demoPassword('quinn'),
    reason: 'Supplier audit passed, SA-2026-014',
    version: material.version,
  });
}

/** A lot received (by whoever may receive) and released by Quinn, QA. */
export async function releasedLot(
  ctx: TestContext,
  receiver: Principal,
  quinn: Principal,
  input: { material: string; containers: number[]; expiryDate?: string | null; supplier?: string },
) {
  const lot = await ctx.engine.materials.lots.receive(receiver, {
    material: input.material,
    supplier: input.supplier ?? 'SUP-A',
    supplierLot: 'ACME-7781',
    containers: input.containers.map((quantity) => ({ quantity })),
    expiryDate: input.expiryDate ?? null,
    location: 'WH-A-01',
  });
  return ctx.engine.materials.lots.changeStatus(quinn, lot.lotNumber, {
    status: 'released',
    version: lot.version,
    password: demoPassword('quinn'),
  });
}
