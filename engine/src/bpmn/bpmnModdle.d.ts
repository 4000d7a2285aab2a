/** The part of bpmn-moddle's API that Attest uses; the package ships no declaration for its entry point. */
declare module 'bpmn-moddle' {
  /** An element of the parsed tree: properties follow the BPMN 2.0 meta-model and registered extensions. */
  export interface ModdleElement {
    readonly $type: string;
    readonly $parent?: ModdleElement;
    /** Attributes of namespaces no registered package describes, e.g. other vendors' extensions. */
    readonly $attrs: Readonly<Record<string, string>>;
    $instanceOf(type: string): boolean;
    readonly [property: string]: unknown;
  }

  /** Something the lax reader skipped or could not resolve; the rest of the tree is still read. */
  export interface ParseWarning {
    message: string;
    element?: ModdleElement;
    property?: string;
    value?: unknown;
    error?: Error;
  }

  export interface ParseResult {
    rootElement: ModdleElement;
    elementsById: Record<string, ModdleElement>;
    warnings: ParseWarning[];
  }

  export class BpmnModdle {
    constructor(packages?: Record<string, object>, options?: Record<string, unknown>);
    /** Rejects with an error carrying `warnings` when the text is not BPMN 2.0 XML at all. */
    fromXML(xml: string): Promise<ParseResult>;
  }
}
