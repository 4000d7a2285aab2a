import { Components } from '@formio/js';
import { GMP_TYPES, type GmpType } from './gmpCatalogue.ts';

/**
 * The Attest component types as formio.js classes, so the builder and the preview draw them: each
 * is the formio.js input the compiler renders it as (a measured value is a number with its unit
 * beside it), never writing what it shows back into the component JSON.
 */

/** The parts of a formio.js component class and instance these classes use. */
interface ComponentInstance {
  component: Record<string, unknown>;
  decimalLimit?: number;
}
interface ComponentClass {
  new (...args: unknown[]): ComponentInstance;
  schema(...extend: Record<string, unknown>[]): Record<string, unknown>;
}

const attestOf = (instance: ComponentInstance): Record<string, unknown> => {
  const a = instance.component.attest;
  return a !== null && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
};

function measured(Base: ComponentClass, type: GmpType, label: string, calculated: boolean): ComponentClass {
  return class extends Base {
    static override schema(...extend: Record<string, unknown>[]) {
      return Base.schema({ type, label, key: type }, ...extend);
    }
    static get builderInfo() {
      return { title: label, group: 'gmp', icon: '', weight: 0, schema: this.schema() };
    }
    constructor(...args: unknown[]) {
      super(...args);
      const decimals = attestOf(this).decimals;
      if (typeof decimals === 'number') this.decimalLimit = decimals;
    }
    get defaultSchema() {
      return Base.schema({ type, label, key: type });
    }
    /** The unit beside the value, as operators see it. */
    get suffix() {
      const unit = attestOf(this).unit;
      return typeof unit === 'string' && unit ? unit : this.component.suffix;
    }
    /** A calculated value is the server's: nobody types it. */
    get disabled(): boolean {
      const own = this as unknown as { _disabled: boolean; parentDisabled: boolean };
      return calculated || own._disabled || own.parentDisabled;
    }
    set disabled(disabled: boolean) {
      (this as unknown as { _disabled: boolean })._disabled = disabled;
    }
  };
}

function identifying(Base: ComponentClass, type: GmpType, label: string): ComponentClass {
  return class extends Base {
    static override schema(...extend: Record<string, unknown>[]) {
      return Base.schema({ type, label, key: type }, ...extend);
    }
    static get builderInfo() {
      return { title: label, group: 'gmp', icon: '', weight: 0, schema: this.schema() };
    }
    get defaultSchema() {
      return Base.schema({ type, label, key: type });
    }
  };
}

let registered = false;

/** Registers the Attest types with formio.js, once per page. */
export function registerGmpComponents(): void {
  if (registered) return;
  registered = true;
  const base = Components.components as Record<string, ComponentClass>;
  const labels: Record<GmpType, string> = {
    measuredValue: 'Measured value',
    calculatedValue: 'Calculated value',
    materialLot: 'Material lot',
    equipmentId: 'Equipment ID',
  };
  for (const type of Object.keys(GMP_TYPES) as GmpType[]) {
    const Base = base[GMP_TYPES[type]]!;
    const Class =
      GMP_TYPES[type] === 'number'
        ? measured(Base, type, labels[type], type === 'calculatedValue')
        : identifying(Base, type, labels[type]);
    Components.addComponent(type, Class);
  }
}
