import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginAs, startTestEngine, type TestContext } from '../../engine/test/support/testEngine.ts';
import { describeDemoPlant, seedDemoMaterials } from '../src/demoMaterials.ts';
import { seedDemoTemplates } from '../src/demoTemplates.ts';
import { SHIPPED_TEMPLATES } from '../src/paths.ts';
import {
  TEMPLATE_ID,
  testForm,
  testManifest,
  testPackage,
  writeTestPackage,
} from './http/support/templatePackage.ts';

describe('Feature: demo mode makes the shipped templates effective', () => {
  let ctx: TestContext;
  let root: string;

  before(async () => {
    ctx = await startTestEngine();
    root = await mkdtemp(join(tmpdir(), 'attest-demo-templates-'));
    // Written out of order, and 1.10.0 after 1.9.0: versions are compared as numbers.
    for (const version of ['1.10.0', '1.0.0', '1.9.0']) {
      await writeTestPackage(root, testPackage(version, { form: testForm(`Temperature ${version}`) }));
    }
  });
  after(async () => {
    await ctx.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Everything the seeding could change: the versions, their trails and open demo sessions. */
  async function state() {
    const quinn = await loginAs(ctx.engine, 'quinn');
    const versions = await ctx.engine.templates.list(quinn, { templateId: TEMPLATE_ID });
    const trails = await Promise.all(
      versions.map((v) => ctx.engine.templates.history(quinn, v.templateId, v.version)),
    );
    await ctx.engine.identity.logout(quinn);
    return { versions, trails };
  }

  it('imports every version folder as quinn, approves each as petra and makes the highest effective; again, nothing changes', async () => {
    const lines: string[] = [];
    const warnings: string[] = [];
    const output = { log: (l: string) => lines.push(l), warn: (l: string) => warnings.push(l) };
    const seeded = await seedDemoTemplates(ctx.engine, root, output);
    assert.deepEqual(warnings, []);
    assert.deepEqual(lines, [`Template ${TEMPLATE_ID} 1.10.0 is effective`]);
    assert.deepEqual(seeded, [{ templateId: TEMPLATE_ID, version: '1.10.0', status: 'effective' }]);

    const after = await state();
    const quinn = await loginAs(ctx.engine, 'quinn');
    const petra = await loginAs(ctx.engine, 'petra');
    assert.deepEqual(
      after.versions
        .map((v) => [v.version, v.status, v.createdBy, v.approvedBy])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['1.0.0', 'approved', quinn.userId, petra.userId],
        ['1.10.0', 'effective', quinn.userId, petra.userId],
        ['1.9.0', 'approved', quinn.userId, petra.userId],
      ],
    );

    const again: string[] = [];
    await seedDemoTemplates(ctx.engine, root, { log: (l) => again.push(l), warn: output.warn });
    assert.deepEqual(again, lines);
    assert.deepEqual(warnings, []);
    assert.deepEqual(await state(), after);
  });

  it('leaves an effective version alone, and reports a template it cannot seed without stopping', async () => {
    await writeTestPackage(
      root,
      testPackage('1.11.0', {
        manifest: testManifest('1.11.0', { id: 'broken', numbering: 'lower-case' }),
      }),
    );
    const lines: string[] = [];
    const warnings: string[] = [];
    await seedDemoTemplates(ctx.engine, root, {
      log: (l) => lines.push(l),
      warn: (l) => warnings.push(l),
    });
    assert.deepEqual(lines, [`Template ${TEMPLATE_ID} 1.10.0 is effective`]);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^Template broken 1\.11\.0 was not seeded: The template package cannot be read/,
    );
  });

  it('seeds nothing from a folder without version folders', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'attest-demo-empty-'));
    try {
      assert.deepEqual(
        await seedDemoTemplates(ctx.engine, empty, { log: assert.fail, warn: assert.fail }),
        [],
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('Feature: demo mode stocks the plant the shipped batch record needs', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestEngine();
  });
  after(() => ctx.close());

  /** Everything the seeding could change: the master data and its lots. */
  async function plantState() {
    const quinn = await loginAs(ctx.engine, 'quinn');
    const state = {
      materials: await ctx.engine.materials.list(quinn),
      lots: await ctx.engine.materials.lots.list(quinn),
      rooms: await ctx.engine.equipment.rooms.list(quinn),
      equipment: await ctx.engine.equipment.list(quinn),
    };
    await ctx.engine.identity.logout(quinn);
    return state;
  }

  it('lists the recipe’s materials with released lots, FEFO’s first and a later one, one in quarantine, and clean equipment; again, nothing changes', async () => {
    const plant = await seedDemoMaterials(ctx.engine, SHIPPED_TEMPLATES);
    assert.deepEqual(plant.materials, ['API-PCM', 'EXC-MCC', 'EXC-PVP', 'EXC-CCS', 'EXC-MGS']);
    assert.deepEqual(plant.equipment, {
      'High-shear granulator': 'HSG-01',
      'Fluid-bed dryer': 'FBD-01',
      'Bin blender': 'BB-01',
      'Rotary tablet press': 'RTP-01',
    });
    const state = await plantState();
    assert.deepEqual(
      state.materials.map((m) => [m.code, m.name, m.suppliers.map((s) => s.status)]),
      [
        ['API-PCM', 'Paracetamol', ['approved']],
        ['EXC-CCS', 'Croscarmellose sodium', ['approved']],
        ['EXC-MCC', 'Microcrystalline cellulose', ['approved']],
        ['EXC-MGS', 'Magnesium stearate', ['approved']],
        ['EXC-PVP', 'Povidone K30', ['approved']],
      ].sort(),
    );
    const lot = (n: string) => state.lots.find((l) => l.lotNumber === n)!;
    const { first, later, quarantined } = plant.paracetamol;
    assert.equal(plant.lots['API-PCM'], first);
    assert.deepEqual(
      [lot(first).status, lot(later).status, lot(quarantined).status],
      ['released', 'released', 'quarantine'],
    );
    assert.ok(lot(first).expiryDate < lot(later).expiryDate, 'FEFO proposes the first');
    // Enough of each material for a batch of the largest size, 200 kg.
    for (const [material, needed] of Object.entries({
      'API-PCM': 160,
      'EXC-MCC': 24,
      'EXC-PVP': 6,
      'EXC-CCS': 8,
      'EXC-MGS': 2,
    })) {
      assert.equal(lot(plant.lots[material]!).status, 'released');
      assert.ok(lot(plant.lots[material]!).stock >= needed * 1.05, material);
    }
    assert.deepEqual(state.equipment.map((e) => [e.code, e.status, e.room]).sort(), [
      ['BB-01', 'clean', 'PR-104'],
      ['DEMO-BAL-01', 'clean', 'DSP-01'],
      ['FBD-01', 'clean', 'PR-104'],
      ['HSG-01', 'clean', 'PR-104'],
      ['RTP-01', 'clean', 'PR-104'],
    ]);
    assert.match(
      describeDemoPlant(plant),
      new RegExp(`FEFO proposes ${first}.*${quarantined} is in quarantine`),
    );

    assert.deepEqual(await seedDemoMaterials(ctx.engine, SHIPPED_TEMPLATES), plant);
    assert.deepEqual(await plantState(), state);
    // Every act of the seeding is in the trails the tables are checked against.
    assert.deepEqual((await ctx.engine.verify()).mismatches, []);
  });
});
