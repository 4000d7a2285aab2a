import { EventEmitter } from 'node:events';
import * as elements from 'bpmn-elements';
import { Engine } from 'bpmn-engine';
import { deserialize, TypeResolver, type SerializableContext } from 'moddle-context-serializer';

/**
 * The peer: bpmn-engine running the reference model in memory, in its fastest configuration. The
 * definitions are parsed and serialized once and every instance gets the same `sourceContext`; a
 * user task is signalled the moment it waits; nothing is logged.
 */

/** The reference model's condition on f3, in FEEL. */
const FEEL_CONDITION = '>reject = true<';
/** The same condition in bpmn-engine's expression language. */
const PEER_CONDITION = '>${environment.variables.reject}<';

/** The reference model with f3's condition written for bpmn-engine. */
export function peerModel(xml: string): string {
  if (!xml.includes(FEEL_CONDITION)) {
    throw new Error(`The reference model has no condition "${FEEL_CONDITION.slice(1, -1)}" on f3`);
  }
  return xml.replace(FEEL_CONDITION, PEER_CONDITION);
}

/**
 * Parses the model once with bpmn-engine's own parser and returns the serialized context an engine
 * takes as `sourceContext`: the engine's state carries it as JSON, and `deserialize` maps it back to
 * behaviours, as the engine does when it recovers.
 */
export async function sourceContextOf(xml: string): Promise<SerializableContext> {
  const state = await new Engine({ source: xml }).getState();
  const source = state.definitions[0]?.source;
  if (state.definitions.length !== 1 || !source) {
    throw new Error(`Expected one definition in the model, found ${state.definitions.length}`);
  }
  return deserialize(JSON.parse(source), TypeResolver(elements));
}

const quietLogger = () => ({ debug() {}, warn() {}, error() {} });

interface SignalApi {
  id: string;
  signal(message?: unknown): void;
}

/** Runs instances of one pre-parsed model and counts the end events they reach. */
export class PeerRunner {
  /** Instances run to their end. */
  runs = 0;
  /** How many instances ended at each end event, by element id. */
  readonly ends = new Map<string, number>();
  private readonly listener = new EventEmitter();

  constructor(
    private readonly sourceContext: SerializableContext,
    private readonly endEvents: ReadonlySet<string>,
  ) {
    this.listener.on('wait', (api: SignalApi) => api.signal());
    this.listener.on('activity.end', (api: SignalApi) => {
      if (this.endEvents.has(api.id)) this.ends.set(api.id, (this.ends.get(api.id) ?? 0) + 1);
    });
  }

  /** One instance from start to end, its variables set when it starts. */
  run(variables: Record<string, unknown>): Promise<void> {
    return new Promise((resolve, reject) => {
      const engine = new Engine({ sourceContext: this.sourceContext, Logger: quietLogger });
      void engine.execute({ listener: this.listener, variables }, (error) => {
        if (error) return reject(error);
        this.runs += 1;
        resolve();
      });
    });
  }

  /** Instances completed per second with `inFlight` of them running at any time. */
  async rate(variables: Record<string, unknown>, inFlight: number, seconds: number): Promise<number> {
    let completed = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < deadline) {
          await this.run(variables);
          completed += 1;
        }
      }),
    );
    return completed / ((performance.now() - started) / 1000);
  }
}
