import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, Principal } from '@attest/engine';
import { demoSignIn, passwordOf, type DemoUser } from './demoTemplates.ts';

/** QA keeps the master data and releases; an operator receives the goods (as in the plant). */
const QA: DemoUser = 'quinn';
const OPERATOR: DemoUser = 'olivia';

/** The recipe the demo plant is stocked for: the shipped batch record's parameter set. */
const RECIPE = { manifest: 'batch-record/v1.0.0/manifest.json', parameterSet: 'PCM-500' };
const SUPPLIER = { code: 'SUP-ACME', name: 'Acme Fine Chemicals' };
const BALANCE = { code: 'DEMO-BAL-01', name: 'Demo floor scale (simulated MT-SICS)', type: 'balance' };
const DISPENSING = { code: 'DSP-01', name: 'Dispensing', class: 'D' };
const PRODUCTION = { code: 'PR-104', name: 'Granulation and compression', class: 'D' };

interface BillLine {
  material: string;
  name: string;
  quantityPerUnit: number;
}
interface Recipe {
  maxBatchSize: number;
  bom: BillLine[];
  equipmentClasses: string[];
}

/** A lot the demo has, by what the supplier printed on it: how the seeding finds it again. */
interface DemoLot {
  material: string;
  supplierLot: string;
  /** Months from the day of receipt to its expiry. */
  expiresInMonths: number;
  released: boolean;
}

export interface DemoPlant {
  materials: string[];
  /** API-PCM's lots: the one FEFO proposes, the one that expires later, the one in quarantine. */
  paracetamol: { first: string; later: string; quarantined: string };
  /** The released lot of each material that expires first, by material code. */
  lots: Record<string, string>;
  /** The production equipment by the recipe's equipment class, and the balance. */
  equipment: Record<string, string>;
  balance: string;
}

/** An equipment number from its class, as a label would carry it: High-shear granulator → HSG-01. */
const equipmentCode = (equipmentClass: string) =>
  `${equipmentClass
    .split(/[\s-]+/)
    .map((word) => word[0]!.toUpperCase())
    .join('')}-01`;

/** A plant-zone date `months` after `today` (YYYY-MM-DD), on a day every month has. */
function monthsAfter(today: string, months: number): string {
  const [year, month, day] = today.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1 + months, Math.min(day, 28))).toISOString().slice(0, 10);
}

async function recipeOf(templatesDir: string): Promise<Recipe> {
  const manifest = JSON.parse(await readFile(join(templatesDir, RECIPE.manifest), 'utf8')) as {
    parameterSets: Record<string, { recipe: Recipe }>;
  };
  return manifest.parameterSets[RECIPE.parameterSet]!.recipe;
}

/**
 * Demo mode: the plant the shipped batch record needs, so that its gates (F3, F2) let a newcomer
 * through: the recipe's materials with an approved supplier; for each a released lot with stock for
 * a batch of the largest size, for paracetamol a second released lot that expires later (FEFO
 * proposes the first) and one left in quarantine (the gate refuses it); the rooms, the recipe's
 * equipment (clean, calibrated, qualified) and the demo scale as a balance. QA (quinn) keeps the
 * master data and releases, with her password; an operator (olivia) receives. Idempotent: what is
 * there already is found by its code or its supplier lot number and left as it is.
 */
export async function seedDemoMaterials(engine: Engine, templatesDir: string | URL): Promise<DemoPlant> {
  const root = typeof templatesDir === 'string' ? templatesDir : fileURLToPath(templatesDir);
  const recipe = await recipeOf(root);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: engine.settings.plant.timeZone }).format(
    engine.clock.now(),
  );
  const sessions: Principal[] = [];
  const signIn = async (username: DemoUser) => {
    const principal = await demoSignIn(engine, username);
    sessions.push(principal);
    return principal;
  };
  try {
    const qa = await signIn(QA);
    const operator = await signIn(OPERATOR);

    const listed = new Map((await engine.materials.list(qa)).map((m) => [m.code, m]));
    for (const line of recipe.bom) {
      let material = listed.get(line.material);
      material ??= await engine.materials.create(qa, {
        code: line.material,
        name: line.name,
        type: line.material.startsWith('API-') ? 'api' : 'excipient',
        baseUnit: 'kg',
        storageConditions: 'Below 25 °C, dry',
        retestMonths: 24,
        shelfLifeMonths: 36,
        samplingPlan: 'sqrt_n_plus_1',
        lotNumberPattern: '{material}-{YY}-{seq:4}',
        reason: `Demo: a material of the recipe ${RECIPE.parameterSet}`,
      });
      if (!material.suppliers.some((s) => s.code === SUPPLIER.code && s.status === 'approved'))
        await engine.materials.setSupplier(qa, line.material, {
          supplierCode: SUPPLIER.code,
          supplierName: SUPPLIER.name,
          status: 'approved',
          password: passwordOf(QA),
          reason: 'Demo: supplier qualified',
          version: material.version,
        });
    }

    const paracetamol = recipe.bom[0]!.material;
    const wanted: DemoLot[] = [
      ...recipe.bom.map((line) => ({
        material: line.material,
        supplierLot: `ACME-${line.material}-A`,
        expiresInMonths: 18,
        released: true,
      })),
      { material: paracetamol, supplierLot: `ACME-${paracetamol}-B`, expiresInMonths: 30, released: true },
      { material: paracetamol, supplierLot: `ACME-${paracetamol}-C`, expiresInMonths: 30, released: false },
    ];
    const lotNumbers = new Map<string, string>();
    for (const lot of wanted) {
      const line = recipe.bom.find((l) => l.material === lot.material)!;
      const there = (await engine.materials.lots.list(qa, { material: lot.material })).find(
        (l) => l.supplierLot === lot.supplierLot,
      );
      if (there) {
        lotNumbers.set(lot.supplierLot, there.lotNumber);
        continue;
      }
      // Two containers, each holding what a batch of the largest size needs.
      const perContainer = Math.ceil(line.quantityPerUnit * recipe.maxBatchSize);
      const received = await engine.materials.lots.receive(operator, {
        material: lot.material,
        supplier: SUPPLIER.code,
        supplierLot: lot.supplierLot,
        containers: [{ quantity: perContainer }, { quantity: perContainer }],
        expiryDate: monthsAfter(today, lot.expiresInMonths),
        location: 'WH-A-01',
      });
      if (lot.released)
        await engine.materials.lots.changeStatus(qa, received.lotNumber, {
          status: 'released',
          version: received.version,
          password: passwordOf(QA),
        });
      lotNumbers.set(lot.supplierLot, received.lotNumber);
    }

    const rooms = new Set((await engine.equipment.rooms.list(qa)).map((r) => r.code));
    for (const room of [DISPENSING, PRODUCTION])
      if (!rooms.has(room.code))
        await engine.equipment.rooms.register(qa, {
          ...room,
          status: 'cleared',
          reason: 'Demo: room qualified',
        });
    const registered = new Set((await engine.equipment.list(qa)).map((e) => e.code));
    const equipment = [
      ...recipe.equipmentClasses.map((c) => ({
        code: equipmentCode(c),
        name: c,
        type: c.toLowerCase(),
        room: PRODUCTION.code,
      })),
      { ...BALANCE, room: DISPENSING.code },
    ];
    for (const item of equipment)
      if (!registered.has(item.code))
        await engine.equipment.register(qa, {
          ...item,
          status: 'clean',
          calibrationDue: monthsAfter(today, 12),
          qualificationDue: monthsAfter(today, 24),
          // Clean until used: the demo may be started again days later.
          cleanHoldHours: null,
          dailyCheckRequired: false,
          reason: 'Demo: installed, qualified and calibrated',
        });

    return {
      materials: recipe.bom.map((l) => l.material),
      paracetamol: {
        first: lotNumbers.get(`ACME-${paracetamol}-A`)!,
        later: lotNumbers.get(`ACME-${paracetamol}-B`)!,
        quarantined: lotNumbers.get(`ACME-${paracetamol}-C`)!,
      },
      lots: Object.fromEntries(recipe.bom.map((l) => [l.material, lotNumbers.get(`ACME-${l.material}-A`)!])),
      equipment: Object.fromEntries(recipe.equipmentClasses.map((c) => [c, equipmentCode(c)])),
      balance: BALANCE.code,
    };
  } finally {
    for (const principal of sessions) await engine.identity.logout(principal);
  }
}

/** What the demo plant has, in one line of the start-up output. */
export function describeDemoPlant(plant: DemoPlant): string {
  const { first, later, quarantined } = plant.paracetamol;
  return (
    `Demo plant: released lots ${Object.values(plant.lots).join(', ')}, and ${later} that expires after ${first} ` +
    `(FEFO proposes ${first}); ${quarantined} is in quarantine; equipment ${Object.values(plant.equipment).join(', ')} ` +
    `and balance ${plant.balance}, clean.`
  );
}
