/**
 * Fault injection switches shared by the MQTT gateway and the service API. The gateway and the
 * service read them on every request; tests flip them through the emulator's `faults` object.
 */

/** Current fault settings. */
export interface FaultState {
  /** Extra delay before every twin response to devices, in milliseconds. */
  twinDelayMs: number;
  /** When set, device twin requests are answered with this error status (e.g. 500, 429). */
  twinRefuseStatus: number | undefined;
  /** Number of upcoming service API requests to answer with 429 Too Many Requests. */
  throttledServiceRequests: number;
}

/** Fault settings with nothing injected. */
export function noFaults(): FaultState {
  return { twinDelayMs: 0, twinRefuseStatus: undefined, throttledServiceRequests: 0 };
}

/** Fault injection controls of a running emulator. */
export interface HubFaults {
  /** Closes the MQTT connection of an identity as a network failure would. False when it was not connected. */
  dropConnection(deviceId: string, moduleId?: string): boolean;
  /** Delays every twin response to devices by `ms` (0 to stop). */
  delayTwinResponses(ms: number): void;
  /** Answers device twin requests with this error status (400-599); `undefined` to stop. */
  refuseTwinRequests(status: number | undefined): void;
  /** Answers the next `count` service API requests with 429. */
  throttleServiceApi(count: number): void;
  /** Stops and restarts the MQTT broker on the same port, keeping identities, twins and sessions. */
  restartBroker(): Promise<void>;
  /** Removes every injected fault. */
  clear(): void;
}
