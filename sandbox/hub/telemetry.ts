/** Keeps the last N telemetry messages per identity for inspection by tests and demos. */

/** One device-to-cloud message as the hub received it. */
export interface TelemetryMessage {
  deviceId: string;
  moduleId?: string;
  /** Message body decoded as UTF-8. */
  body: string;
  /** Application and system properties from the topic (`$.ct`, `$.ce`, custom keys). */
  properties: Record<string, string>;
  /** When the hub received it (ISO 8601). */
  enqueuedTimeUtc: string;
}

/** A bounded store of telemetry, newest last. */
export class TelemetryStore {
  private readonly byIdentity = new Map<string, TelemetryMessage[]>();
  private readonly listeners = new Set<(message: TelemetryMessage) => void>();

  constructor(private readonly limit: number) {}

  /** Adds a message, dropping the oldest of that identity beyond the limit. */
  add(message: TelemetryMessage): void {
    const key = `${message.deviceId}/${message.moduleId ?? ''}`;
    const list = this.byIdentity.get(key) ?? [];
    list.push(message);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.byIdentity.set(key, list);
    for (const listener of this.listeners) listener(message);
  }

  /** Calls `listener` with every message added from now on; returns the unsubscribe function. */
  subscribe(listener: (message: TelemetryMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kept messages of one identity, oldest first (a copy). */
  get(deviceId: string, moduleId?: string): TelemetryMessage[] {
    return [...(this.byIdentity.get(`${deviceId}/${moduleId ?? ''}`) ?? [])];
  }
}
