/**
 * The telemetry sender: every `interval` milliseconds it sends a JSON message
 * `{ sequence, temperature, temperatureUnit, timeCreated }` (a slow simulated sine wave around
 * 21 °C). The interval comes from the desired property `interval` (milliseconds) when set, and is
 * reported back as `interval`; an invalid desired value is reported in `intervalError` and
 * ignored (a later valid value removes `intervalError`). The direct method `reset` restarts the sequence and the simulation.
 */
// The SDK is CommonJS: plain Node ESM gives it only as a default export.
import deviceSdk, { type DeviceMethodResponse, type ModuleClient, type Twin } from 'azure-iot-device';

const { Message } = deviceSdk;

/** Shortest and longest accepted interval, in milliseconds. */
export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** One telemetry message body. */
export interface TemperatureReading {
  sequence: number;
  temperature: number;
  temperatureUnit: 'C';
  timeCreated: string;
}

/** The simulated temperature for a sequence number. Pure. */
export function temperatureAt(sequence: number): number {
  return Math.round((21 + 4 * Math.sin(sequence / 10)) * 100) / 100;
}

/** The interval a desired value asks for, or why it is refused. Pure. */
export function parseInterval(value: unknown): { ms: number } | { error: string } {
  if (typeof value !== 'number' || !Number.isInteger(value)) return { error: `interval must be a whole number of milliseconds, got ${JSON.stringify(value)}` };
  if (value < MIN_INTERVAL_MS || value > MAX_INTERVAL_MS) return { error: `interval must be between ${MIN_INTERVAL_MS} and ${MAX_INTERVAL_MS} ms, got ${value}` };
  return { ms: value };
}

/** Options of {@link TelemetrySender}. */
export interface SenderOptions {
  /** Interval until the twin sets one. */
  intervalMs: number;
  /** edgeHub output name; without it, messages go straight to IoT Hub with `sendEvent`. */
  output?: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** Diagnostic lines (no secrets). @default console.log */
  log?: (line: string) => void;
}

/** Sends telemetry through an open ModuleClient and follows its twin and the `reset` method. */
export class TelemetrySender {
  private sequence = 0;
  private intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private twin: Twin | undefined;
  private readonly log: (line: string) => void;

  constructor(
    private readonly client: ModuleClient,
    private readonly options: SenderOptions,
  ) {
    const initial = parseInterval(options.intervalMs);
    if ('error' in initial) throw new RangeError(initial.error);
    this.intervalMs = initial.ms;
    this.log = options.log ?? ((line) => console.log(line));
  }

  /** The interval in force, in milliseconds. */
  get interval(): number {
    return this.intervalMs;
  }

  /** Reads the twin, applies and reports the interval, registers `reset`, starts sending. */
  async start(): Promise<void> {
    this.client.onMethod('reset', (_request, response) => this.onReset(response));
    this.twin = await this.client.getTwin();
    const desired = (this.twin.properties.desired as Record<string, unknown>)['interval'];
    await this.applyInterval(desired);
    this.twin.on('properties.desired', (patch: Record<string, unknown>) => {
      if ('interval' in patch) void this.applyInterval(patch['interval']);
    });
    this.schedule();
  }

  /** Stops sending; the caller closes the client. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.send().finally(() => {
        if (this.timer !== undefined) this.schedule();
      });
    }, this.intervalMs);
  }

  private async send(): Promise<void> {
    const reading: TemperatureReading = {
      sequence: this.sequence,
      temperature: temperatureAt(this.sequence),
      temperatureUnit: 'C',
      timeCreated: (this.options.now?.() ?? new Date()).toISOString(),
    };
    this.sequence++;
    const message = new Message(JSON.stringify(reading));
    message.contentType = 'application/json';
    message.contentEncoding = 'utf-8';
    try {
      if (this.options.output !== undefined) await this.client.sendOutputEvent(this.options.output, message);
      else await this.client.sendEvent(message);
    } catch (e) {
      this.log(`telemetry ${reading.sequence} not sent: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async applyInterval(desired: unknown): Promise<void> {
    let intervalError: string | null = null;
    if (desired !== undefined && desired !== null) {
      const parsed = parseInterval(desired);
      if ('error' in parsed) intervalError = parsed.error;
      else if (parsed.ms !== this.intervalMs) {
        this.intervalMs = parsed.ms;
        if (this.timer !== undefined) {
          clearTimeout(this.timer);
          this.schedule();
        }
      }
    }
    if (intervalError !== null) this.log(`desired ${intervalError}; keeping ${this.intervalMs} ms`);
    try {
      await this.report({ interval: this.intervalMs, intervalError });
    } catch (e) {
      this.log(`could not report the interval: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private report(patch: Record<string, unknown>): Promise<void> {
    const twin = this.twin;
    if (twin === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => twin.properties.reported.update(patch, (e?: Error) => (e ? reject(e) : resolve())));
  }

  private onReset(response: DeviceMethodResponse | undefined): void {
    if (response === undefined) return;
    this.sequence = 0;
    this.log('reset: sequence restarted');
    response.send(200, { reset: true, sequence: this.sequence }).catch((e: unknown) => this.log(`reset answer not sent: ${e instanceof Error ? e.message : String(e)}`));
  }
}
