import type { Engine } from '../../src/index.ts';
import { demoPassword, loginAs } from './testEngine.ts';

/**
 * What the material and equipment gates of steps need to let a code through (F3, F2): a released
 * lot of a material with stock, clean and calibrated equipment in a cleared room. QA (Quinn) keeps
 * the master data and releases; an operator (Olivia) receives.
 */

/** A material with an approved supplier, listed once; later calls find it. */
export async function listedMaterial(
  engine: Engine,
  code: string,
  name = code,
  baseUnit: 'kg' | 'g' | 'pcs' = 'kg',
): Promise<void> {
  const quinn = await loginAs(engine, 'quinn');
  if ((await engine.materials.list(quinn)).some((m) => m.code === code)) return;
  const material = await engine.materials.create(quinn, {
    code,
    name,
    type: 'excipient',
    baseUnit,
    storageConditions: 'Below 25 °C',
    retestMonths: 24,
    shelfLifeMonths: 36,
    samplingPlan: 'first',
    lotNumberPattern: '{material}-{YY}-{seq:4}',
    reason: 'Listed for production',
  });
  await engine.materials.setSupplier(quinn, code, {
    supplierCode: 'SUP-A',
    supplierName: 'Acme Fine Chemicals',
    status: 'approved',
    password: demoPassword('quinn'),
    reason: 'Supplier audit passed',
    version: material.version,
  });
}

/** A lot of the material received into quarantine: its number. */
export async function receivedLot(
  engine: Engine,
  material: string,
  containers: number[] = [50, 50],
  expiryDate: string | null = null,
): Promise<{ lotNumber: string; version: number }> {
  await listedMaterial(engine, material);
  const olivia = await loginAs(engine, 'olivia');
  const lot = await engine.materials.lots.receive(olivia, {
    material,
    supplier: 'SUP-A',
    supplierLot: `ACME-${material}`,
    containers: containers.map((quantity) => ({ quantity })),
    expiryDate,
    location: 'WH-A-01',
  });
  return { lotNumber: lot.lotNumber, version: lot.version };
}

/** A lot of the material received and released by QA: its number. */
export async function releasedLot(
  engine: Engine,
  material: string,
  containers: number[] = [50, 50],
  expiryDate: string | null = null,
): Promise<string> {
  const lot = await receivedLot(engine, material, containers, expiryDate);
  const quinn = await loginAs(engine, 'quinn');
  await engine.materials.lots.changeStatus(quinn, lot.lotNumber, {
    status: 'released',
    version: lot.version,
    password: demoPassword('quinn'),
  });
  return lot.lotNumber;
}

/** Clean, calibrated, qualified equipment in a cleared room, registered once. */
export async function cleanEquipment(engine: Engine, code: string, name = 'Equipment'): Promise<void> {
  const quinn = await loginAs(engine, 'quinn');
  if (!(await engine.equipment.rooms.list(quinn)).some((r) => r.code === 'R-100'))
    await engine.equipment.rooms.register(quinn, {
      code: 'R-100',
      name: 'Production 1',
      class: 'D',
      status: 'cleared',
      reason: 'Room qualified',
    });
  if ((await engine.equipment.list(quinn)).some((e) => e.code === code)) return;
  await engine.equipment.register(quinn, {
    code,
    name,
    type: name.toLowerCase(),
    room: 'R-100',
    status: 'clean',
    calibrationDue: '2099-06-30',
    qualificationDue: '2099-12-31',
    cleanHoldHours: 72,
    dailyCheckRequired: false,
    reason: 'Installed and qualified',
  });
}
