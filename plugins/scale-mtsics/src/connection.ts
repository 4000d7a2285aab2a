import { DeviceRefusal, type DeviceConnection, type Reading } from '@attest/plugin-api';
import { describeEndpoint, openLink, type Endpoint, type Link, type SerialBinding } from './link.ts';
import {
  answerTo,
  escapeRaw,
  formatValue,
  isErrorCode,
  parseAnswer,
  parseQuoted,
  parseValue,
  parseWeight,
  refusalMeaning,
  type MtsicsAnswer,
  type MtsicsCommand,
} from './protocol.ts';

/** The channels an MT-SICS scale is read on, and the command each sends. */
export const CHANNELS = { weight: 'S', weightImmediate: 'SI', tare: 'TA' } as const;
export type MtsicsChannel = keyof typeof CHANNELS;

/** What a connection needs once its settings are checked. */
export interface ConnectionOptions {
  endpoint: Endpoint;
  timeoutMs: number;
  stableTimeoutMs: number;
  binding?: SerialBinding;
}

interface Pending {
  expect: string;
  /** `S` waits for a stable weight: dynamic lines of a running `SIR` are not its answer. */
  stableOnly: boolean;
  resolve(answer: MtsicsAnswer, line: string): void;
  reject(error: Error): void;
}

interface Subscriber {
  channel: MtsicsChannel;
  onReading(reading: Reading): void;
  onError(error: Error): void;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/** Calls a subscriber: what it throws is its own affair and does not break the link. */
function guarded(call: () => void): void {
  try {
    call();
  } catch {
    // a subscriber's failure is not the scale's
  }
}

function isChannel(channel: string): channel is MtsicsChannel {
  return Object.hasOwn(CHANNELS, channel);
}

/**
 * A connection to one MT-SICS scale: one command at a time on one link, opened again lazily when it
 * was lost; subscriptions share the link through `SIR`, which any other command interrupts and
 * which is sent again after it.
 */
export class MtsicsConnection implements DeviceConnection {
  /** The scale's serial number (`I4`), or where it is when it gives none. */
  deviceId: string;
  /** The scale's model and type (`I2`), when it gives them. */
  model: string | null = null;
  private readonly where: string;
  private link: Link | null = null;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private streaming = false;
  private closed = false;
  private readonly subscribers = new Set<Subscriber>();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_FIRST_MS;
  private watchdog: NodeJS.Timeout | null = null;
  /** The closing of the last link dropped. */
  private closing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ConnectionOptions) {
    this.where = describeEndpoint(options.endpoint);
    this.deviceId = this.where;
  }

  /** Opens the link and identifies the scale; fails when it cannot be reached or does not answer. */
  connect(signal?: AbortSignal): Promise<void> {
    return this.enqueue(() => this.ensureLink(signal).then(() => undefined));
  }

  read(channel: string, signal?: AbortSignal): Promise<Reading> {
    if (!isChannel(channel)) return Promise.reject(this.unknownChannel(channel));
    const command = CHANNELS[channel];
    return this.enqueue(async () => {
      const { answer, line } = await this.command(command, '', signal);
      return this.reading(channel, answer, line, command);
    });
  }

  async write(channel: string, value: number | string | boolean, signal?: AbortSignal): Promise<void> {
    if (channel === 'zero' && value === true) {
      await this.enqueue(() => this.command('Z', '', signal).then((a) => this.expectDone(a, 'Z', 'A')));
    } else if (channel === 'tare' && value === true) {
      await this.enqueue(() => this.command('T', '', signal).then((a) => this.expectDone(a, 'T', 'S')));
    } else if (channel === 'tare' && typeof value === 'string') {
      const preset = parseValue(value);
      if (!preset?.unit)
        throw new Error(`a preset tare is a number and a unit, such as "12.5 g", not "${value}"`);
      const args = formatValue(preset.value, preset.unit);
      await this.enqueue(() => this.command('TA', args, signal).then((a) => this.expectDone(a, 'TA', 'A')));
    } else if (channel === 'zero' || channel === 'tare') {
      throw new Error(
        `cannot write ${JSON.stringify(value)} to "${channel}": write true to zero or tare the scale` +
          (channel === 'tare' ? ', or a value with its unit ("12.5 g") to preset the tare' : ''),
      );
    } else {
      throw new Error(`cannot write "${channel}": an MT-SICS scale takes only "zero" and "tare"`);
    }
  }

  subscribe(
    channel: string,
    onReading: (reading: Reading) => void,
    onError: (error: Error) => void,
  ): () => void {
    if (channel !== 'weight' && channel !== 'weightImmediate') {
      throw new Error(
        `cannot subscribe to "${channel}": an MT-SICS scale streams "weight" and "weightImmediate"`,
      );
    }
    if (this.closed) throw new Error(`the connection to the scale at ${this.where} is closed`);
    const subscriber: Subscriber = { channel, onReading, onError };
    this.subscribers.add(subscriber);
    this.startStream();
    return () => {
      if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0 || this.closed) return;
      // Any command ends SIR; I4 has no effect on the scale and an answer no weight line is taken for.
      void this.enqueue(async () => {
        if (this.streaming && this.subscribers.size === 0) await this.command('I4', '');
      }).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscribers.clear();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.streaming) this.link?.write('I4\r\n'); // a serial scale would stream on
    this.drop(new Error(`the connection to the scale at ${this.where} was closed`));
    await this.closing;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error(`the connection to the scale at ${this.where} is closed`);
      return task();
    });
    this.queue = run.then(
      () => this.resumeStream(),
      () => this.resumeStream(),
    );
    return run;
  }

  private async ensureLink(signal?: AbortSignal): Promise<Link> {
    if (this.link) return this.link;
    await this.closing; // a serial line is opened again only once it is closed
    const { endpoint, timeoutMs, binding } = this.options;
    const link = await openLink(
      endpoint,
      timeoutMs,
      {
        line: (text) => this.onLine(text),
        overflow: (escaped) =>
          this.drop(new Error(`unexpected answer from the scale at ${this.where}: "${escaped}…"`)),
        closed: (error) => {
          if (this.link === link) this.lost(error ?? new Error(`the scale at ${this.where} closed the link`));
        },
      },
      binding,
    );
    if (this.closed) {
      await link.destroy();
      throw new Error(`the connection to the scale at ${this.where} is closed`);
    }
    this.link = link;
    // A scale may still stream from an earlier SIR (a serial line keeps it): its weight lines are
    // not taken for an answer, and the first command ends the stream.
    this.streaming = true;
    // The scale is identified on every (re)connection: each reading names the scale that gave it.
    const serial = await this.identity('I4', link, signal);
    this.deviceId = serial || this.where;
    this.model = await this.identity('I2', link, signal);
    return link;
  }

  /** The quoted text of an `I4` or `I2` answer; `null` when the scale refuses the command. */
  private async identity(command: 'I4' | 'I2', link: Link, signal?: AbortSignal): Promise<string | null> {
    try {
      const { answer } = await this.exchange(command, '', this.options.timeoutMs, signal);
      return answer.status === 'A' ? parseQuoted(answer.rest) : null;
    } catch (error) {
      if (this.link !== link) throw error; // the link was lost, or the scale did not answer
      return null;
    }
  }

  /** Sends a command on the (re)opened link and waits for its answer. */
  private async command(command: MtsicsCommand, args: string, signal?: AbortSignal) {
    await this.ensureLink(signal);
    const timeoutMs = command === 'S' ? this.options.stableTimeoutMs : this.options.timeoutMs;
    return this.exchange(command, args, timeoutMs, signal);
  }

  private exchange(
    command: MtsicsCommand,
    args: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ answer: MtsicsAnswer; line: string }> {
    const link = this.link;
    if (!link) return Promise.reject(new Error(`no link to the scale at ${this.where}`));
    if (signal?.aborted)
      return Promise.reject(new Error(`the ${command} command to the scale at ${this.where} was aborted`));
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        if (this.pending === pending) this.pending = null;
      };
      const giveUp = (error: Error) => {
        // A late answer would be taken for the next command's: the link starts afresh.
        finish();
        reject(error);
        this.drop(error);
      };
      const abort = () =>
        giveUp(new Error(`the ${command} command to the scale at ${this.where} was aborted`));
      const timer = setTimeout(
        () =>
          giveUp(
            new Error(
              `no answer from the scale at ${this.where} to ${command} within ${timeoutMs} ms` +
                (command === 'S' ? ' (no stable weight, or the scale does not respond)' : ''),
            ),
          ),
        timeoutMs,
      );
      const pending: Pending = {
        expect: answerTo(command),
        stableOnly: command === 'S',
        resolve: (answer, line) => {
          finish();
          // Any command ends a running SIR; its answer is the last line of the stream.
          if (command !== 'SIR') this.streaming = false;
          if (isErrorCode(answer)) {
            reject(this.refused(answer, line, command));
          } else resolve({ answer, line });
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      };
      this.pending = pending;
      this.unwatch(); // the command ends a running SIR
      signal?.addEventListener('abort', abort, { once: true });
      link.write(`${command}${args ? ` ${args}` : ''}\r\n`);
    });
  }

  private onLine(line: string): void {
    const answer = parseAnswer(line);
    const pending = this.pending;
    if (answer && answer.command === 'S' && this.streaming) this.deliver(answer, line);
    if (!pending) {
      if (!this.streaming) return; // a late line of a stream that has ended
      this.watch();
      if (!answer) this.notify(new Error(this.unexpected(line, 'SIR')));
      else if (isErrorCode(answer)) this.notify(this.refused(answer, line, 'SIR'));
      return;
    }
    if (answer && (isErrorCode(answer) || answer.command === pending.expect)) {
      if (!(pending.stableOnly && answer.status === 'D')) pending.resolve(answer, line);
    } else if (!(answer?.command === 'S' && this.streaming)) {
      // What follows on the link cannot be trusted to answer the next command: it starts afresh.
      this.drop(new Error(this.unexpected(line, pending.expect)));
    }
  }

  private unexpected(line: string, command: string): string {
    return `unexpected answer from the scale at ${this.where} to ${command}: "${escapeRaw(line)}"`;
  }

  private reading(channel: MtsicsChannel, answer: MtsicsAnswer, line: string, command: string): Reading {
    const base = {
      deviceId: this.deviceId,
      channel,
      deviceTime: null,
      serverTime: new Date().toISOString(),
      raw: escapeRaw(line),
    };
    if (channel === 'tare') {
      const tare = answer.status === 'A' ? parseValue(answer.rest) : null;
      if (!tare) throw this.refusal(answer, line, command);
      return { ...base, value: tare.value, unit: tare.unit, stable: true, status: 'ok' };
    }
    const weight = parseWeight(answer);
    if (!weight) throw this.refusal(answer, line, command);
    return { ...base, ...weight, stable: weight.status === 'ok' };
  }

  private refusal(answer: MtsicsAnswer, line: string, command: string): Error {
    const known = ['I', 'L', '+', '-'].includes(answer.status);
    return known ? this.refused(answer, line, command) : new Error(this.unexpected(line, command));
  }

  /**
   * The scale did not carry out `command`: its code and what it means. The scale answered as
   * MT-SICS says, so the link is sound (a device refusal), except after `ET`: the scale received
   * damaged bytes, and the line is no more trusted than after garbage.
   */
  private refused(answer: MtsicsAnswer, line: string, command: string): Error {
    const code = answer.status ? `${answer.command} ${answer.status}` : answer.command;
    const message = `the scale ${this.deviceId} answered ${code} to ${command}: ${refusalMeaning(answer)}`;
    return answer.command === 'ET' ? new Error(message) : new DeviceRefusal(message, escapeRaw(line));
  }

  private expectDone(
    { answer, line }: { answer: MtsicsAnswer; line: string },
    command: string,
    done: string,
  ): void {
    if (answer.status !== done) throw this.refused(answer, line, command);
  }

  private deliver(answer: MtsicsAnswer, line: string): void {
    let reading: Reading | null = null;
    let error: Error | null = null;
    try {
      reading = this.reading('weightImmediate', answer, line, 'SIR');
    } catch (cause) {
      error = cause as Error;
    }
    for (const subscriber of this.subscribers) {
      if (error) guarded(() => subscriber.onError(error));
      else if (reading && (subscriber.channel === 'weightImmediate' || reading.status !== 'unstable')) {
        const delivered = { ...reading, channel: subscriber.channel };
        guarded(() => subscriber.onReading(delivered));
      }
    }
  }

  private notify(error: Error): void {
    for (const subscriber of this.subscribers) guarded(() => subscriber.onError(error));
  }

  /** Starts SIR now, or once the link can be opened again. */
  private startStream(): void {
    void this.enqueue(() => this.ensureLink()).catch((error: unknown) => {
      this.notify(error as Error);
      this.retryLater();
    });
  }

  private async resumeStream(): Promise<void> {
    if (this.closed || this.streaming || this.subscribers.size === 0 || !this.link) return;
    this.streaming = true;
    this.retryMs = RETRY_FIRST_MS;
    this.link.write('SIR\r\n');
    this.watch();
  }

  /**
   * (Re)starts the watch on a running SIR: a scale that streams nothing for `timeoutMs` is taken
   * for lost (a serial line stays open when the scale is switched off).
   */
  private watch(): void {
    this.unwatch();
    const { timeoutMs } = this.options;
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      if (!this.streaming || this.pending) return;
      const error = new Error(`no weight streamed by the scale at ${this.where} within ${timeoutMs} ms`);
      this.notify(error);
      this.drop(error);
    }, timeoutMs);
  }

  private unwatch(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer || this.subscribers.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.enqueue(() => this.ensureLink()).catch(() => this.retryLater());
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** Fails the command waiting for an answer. */
  private fail(error: Error): void {
    this.pending?.reject(error);
  }

  /** The link was lost: the waiting command fails, subscribers hear of it, and the link is opened again. */
  private lost(error: Error): void {
    this.unwatch();
    this.link = null;
    this.streaming = false;
    this.fail(error);
    if (this.subscribers.size > 0) {
      this.notify(error);
      this.retryLater();
    }
  }

  /** Ends the link on purpose (a time-out, an abort, a close). */
  private drop(error: Error): void {
    const link = this.link;
    this.unwatch();
    this.link = null;
    this.streaming = false;
    if (link) this.closing = link.destroy().catch(() => undefined);
    this.fail(error);
    if (this.subscribers.size > 0) this.retryLater();
  }

  private unknownChannel(channel: string): Error {
    return new Error(
      `unknown channel "${channel}": an MT-SICS scale is read on "weight", "weightImmediate" and "tare"`,
    );
  }
}
