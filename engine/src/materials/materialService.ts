import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import type { Principal } from '../kernel/permissions.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import type { MaterialGate } from '../steps/gates.ts';
import { createMaterialCatalogue, type MaterialCatalogue } from './materialCatalogue.ts';
import { createMaterialGate } from './materialGate.ts';
import { createLotService, type LotService } from './lotService.ts';

/**
 * Materials management: the materials with their specifications and approved suppliers, the lots
 * received of them, their status lifecycle and the transactions that move their quantities; and
 * the material gate (F3) the steps ask.
 */
export interface MaterialService extends MaterialCatalogue, MaterialGate {
  lots: LotService;
  /** The lot first-expiry-first-out proposes for a material now, for whoever works with materials. */
  fefo(
    principal: Principal,
    material: string,
  ): Promise<{ lotNumber: string; expiryDate: string; available: number; unit: string } | null>;
}

export function createMaterialService(deps: {
  knex: Knex;
  clock: Clock;
  timeZone: string;
  reauthenticate: Reauthenticate;
}): MaterialService {
  const catalogue = createMaterialCatalogue(deps);
  const gate = createMaterialGate(deps);
  return {
    ...catalogue,
    ...gate,
    lots: createLotService(deps),
    fefo: async (principal, material) => {
      await catalogue.get(principal, material);
      return gate.propose(deps.knex, material, deps.clock.now());
    },
  };
}
