/**
 * Sandbox IoT Hub: an emulator of the IoT Hub device protocol (MQTT 3.1.1 over TLS) and of the
 * service REST API, good enough for the unmodified azure-iot-device, azure-iot-device-mqtt and
 * azure-iothub SDKs on loopback. Test and demo infrastructure; see docs/sandbox-hub.md.
 */
import { renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { prepareTls } from './certs.js';
import { evaluateDevice } from './deployments.js';
import { OWNER_POLICY } from './device-auth.js';
import { noFaults, type HubFaults } from './faults.js';
import { MqttGateway } from './gateway.js';
import { HubRegistry } from './registry.js';
import { ServiceApi } from './service-api.js';
import { TelemetryStore, type TelemetryMessage } from './telemetry.js';
import { startEventStream, type EventStream } from './events.js';
import { azuriteLocation, startBlobEmulator, type BlobEmulator } from './blob.js';

export type { HubFaults } from './faults.js';
export type { TelemetryMessage } from './telemetry.js';
export type { HubRegistry, IdentityRecord, SymmetricKeys, DesiredChange, CreateDeviceOptions, CreateModuleOptions } from './registry.js';
export type { MethodRequest, MethodResult } from './gateway.js';
export { HubError, ServiceBindError } from './errors.js';
export { createSas } from './sas.js';
export { trustHubCa } from './sdk-trust.js';
export { EVENTS_PORT } from './events.js';
export { BlobEmulatorError, startBlobEmulator, type BlobEmulator, type BlobEmulatorOptions } from './blob.js';

/** Options of {@link startHubEmulator}. */
export interface HubEmulatorOptions {
  /**
   * Directory for `hub.json`, the CA certificate (`hub-ca.pem`) and the persisted registry
   * (`hub-registry.json`). Without it, everything lives in memory.
   */
  stateDir?: string;
  /** Port of the MQTT-over-TLS listener on 127.0.0.1. @default 0 (a free port) */
  mqttPort?: number;
  /** Loopback address (127.0.0.0/8) for the HTTPS service API on port 443. @default '127.0.0.2' */
  serviceHost?: string;
  /** Name of the emulated hub; device connection strings use `HostName=<hubName>.azure-devices.net`. @default 'sandbox-hub' */
  hubName?: string;
  /** Id of the IoT Edge device created at start when missing. @default 'edge-device' */
  seedEdgeDevice?: string;
  /**
   * Also run Azurite as the hub's blob endpoint (blob.ts), on {@link serviceHost} at `port`
   * (default 10000, Azurite's usual port; a free one when taken), with its data under the state
   * directory. Off by default: only what uploads files needs it.
   */
  blobStorage?: boolean | { port?: number };
}

/** A running emulator. */
export interface HubEmulator {
  /** Host name of the hub as devices name it (`<hubName>.azure-devices.net`); never resolved. */
  hostName: string;
  /** Port of the MQTT-over-TLS listener on 127.0.0.1. */
  mqttPort: number;
  /** Loopback address of the HTTPS service API (port 443). */
  serviceHost: string;
  /** PEM of the CA that issued the server certificates. */
  caPem: string;
  /** Path of the CA PEM file when a state directory is used. */
  caFile?: string;
  /** `iothubowner` connection string whose HostName is {@link serviceHost}. */
  serviceConnectionString: string;
  /** The seeded IoT Edge device. */
  deviceId: string;
  /** `$edgeAgent` module connection string of the seeded device, with `GatewayHostName=127.0.0.1:<mqttPort>`. */
  edgeAgentConnectionString: string;
  /**
   * Device connection string of the seeded IoT Edge device. Its HostName is {@link serviceHost}, so
   * that device-scoped registry calls (`https://<HostName>/devices/<id>/modules`) reach the service
   * API, and its GatewayHostName is {@link gatewayHostName}, where MQTT clients connect.
   */
  deviceConnectionString: string;
  /** `127.0.0.1:<mqttPort>`: a GatewayHostName azure-iot-device-mqtt connects to (it dials `mqtts://<GatewayHostName>`). */
  gatewayHostName: string;
  /** The identity registry (devices, modules, twins, configurations). */
  registry: HubRegistry;
  /** Fault injection. */
  faults: HubFaults;
  /** Telemetry kept for an identity (the last 100 messages), oldest first. */
  telemetry(deviceId: string, moduleId?: string): TelemetryMessage[];
  /** Connection string of a registered device or module (primary key, with GatewayHostName). */
  connectionString(deviceId: string, moduleId?: string): string;
  /** URL of the event stream (device-to-cloud messages as JSON lines; events.ts), unless its port was taken. */
  eventsUrl?: string;
  /** The blob endpoint (Azurite) when started with `blobStorage`. */
  blob?: BlobEmulator;
  /** Stops both listeners and removes `hub.json`. */
  stop(): Promise<void>;
}

const TELEMETRY_KEPT = 100;

/** Content of `<stateDir>/hub.json`. */
interface HubJson {
  serviceConnectionString: string;
  deviceId: string;
  edgeAgentConnectionString: string;
  deviceConnectionString: string;
  gatewayHostName: string;
  caFile: string;
  /** Container SAS URL on the sandbox's Azurite, when it runs. */
  blobContainerSasUrl?: string;
}

function checkServiceHost(host: string): void {
  if (isIP(host) !== 4 || !host.startsWith('127.')) {
    throw new Error(`IoT Hub emulator: serviceHost must be an IPv4 loopback address in 127.0.0.0/8, got '${host}'`);
  }
}

/** Starts the emulator: registry, MQTT gateway, HTTPS service API; writes hub.json when both accept connections. */
export async function startHubEmulator(options: HubEmulatorOptions = {}): Promise<HubEmulator> {
  const serviceHost = options.serviceHost ?? '127.0.0.2';
  checkServiceHost(serviceHost);
  const hubName = options.hubName ?? 'sandbox-hub';
  if (!/^[A-Za-z0-9-]{3,50}$/.test(hubName)) throw new Error(`IoT Hub emulator: hubName must be 3-50 letters, digits or hyphens, got '${hubName.slice(0, 60)}'`);
  const hostName = `${hubName}.azure-devices.net`;
  const hostNames = [hostName, serviceHost];
  const deviceId = options.seedEdgeDevice ?? 'edge-device';
  const stateDir = options.stateDir;
  if (stateDir) mkdirSync(stateDir, { recursive: true });

  const registry = HubRegistry.open(stateDir ? join(stateDir, 'hub-registry.json') : undefined);
  if (!registry.findIdentity(deviceId)) registry.createDevice(deviceId, { iotEdge: true });
  const onTags = (changed: string): void => void evaluateDevice(registry, changed);
  registry.on('tags', onTags);

  const tls = prepareTls(stateDir, [serviceHost]);
  const serverTls = { key: tls.server.keyPem, cert: `${tls.server.certPem}${tls.ca.certPem}` };
  const faultState = noFaults();
  const telemetry = new TelemetryStore(TELEMETRY_KEPT);
  const gateway = await MqttGateway.start({ registry, hostNames, host: '127.0.0.1', port: options.mqttPort ?? 0, tls: serverTls, faults: faultState, telemetry });
  let service: ServiceApi;
  try {
    service = await ServiceApi.start({ registry, gateway, hostNames, host: serviceHost, port: 443, tls: serverTls, faults: faultState });
  } catch (err) {
    await gateway.stop();
    throw err;
  }

  let blob: BlobEmulator | undefined;
  if (options.blobStorage) {
    const port = typeof options.blobStorage === 'object' ? options.blobStorage.port : undefined;
    try {
      blob = await startBlobEmulator({ host: serviceHost, port: port ?? 10000, ...(stateDir ? { location: azuriteLocation(stateDir) } : {}) });
    } catch (err) {
      await Promise.all([gateway.stop(), service.stop()]);
      throw err;
    }
  }

  // The event stream is a convenience (`hub monitor`): a taken port leaves the hub without it.
  const events: EventStream | undefined = await startEventStream({ telemetry, host: serviceHost, tls: serverTls, policyKey: () => registry.policyKey, hostNames }).catch(() => undefined);

  const gatewayHostName = `127.0.0.1:${gateway.port}`;
  const connectionString = (device: string, module?: string): string => {
    const identity = registry.identity(device, module);
    return [
      `HostName=${hostName}`,
      `DeviceId=${device}`,
      ...(module !== undefined ? [`ModuleId=${module}`] : []),
      `SharedAccessKey=${identity.keys.primaryKey}`,
      `GatewayHostName=${gatewayHostName}`,
    ].join(';');
  };
  const serviceConnectionString = `HostName=${serviceHost};SharedAccessKeyName=${OWNER_POLICY};SharedAccessKey=${registry.policyKey}`;
  const edgeAgentConnectionString = connectionString(deviceId, '$edgeAgent');
  const deviceConnectionString = `HostName=${serviceHost};DeviceId=${deviceId};SharedAccessKey=${registry.getDevice(deviceId).keys.primaryKey};GatewayHostName=${gatewayHostName}`;
  const hubJsonFile = stateDir ? join(stateDir, 'hub.json') : undefined;
  if (hubJsonFile && tls.caFile) {
    const hubJson: HubJson = { serviceConnectionString, deviceId, edgeAgentConnectionString, deviceConnectionString, gatewayHostName, caFile: tls.caFile, ...(blob ? { blobContainerSasUrl: blob.containerSasUrl } : {}) };
    // Whole or absent for anyone waiting for it: written aside, then renamed into place.
    writeFileSync(`${hubJsonFile}.${process.pid}.tmp`, `${JSON.stringify(hubJson, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${hubJsonFile}.${process.pid}.tmp`, hubJsonFile);
  }

  const faults: HubFaults = {
    dropConnection: (device, module) => gateway.drop(device, module),
    delayTwinResponses: (ms) => {
      faultState.twinDelayMs = Math.max(0, ms);
    },
    refuseTwinRequests: (status) => {
      if (status !== undefined && (!Number.isInteger(status) || status < 400 || status > 599)) throw new RangeError(`refuseTwinRequests: status must be 400-599, got ${status}`);
      faultState.twinRefuseStatus = status;
    },
    throttleServiceApi: (count) => {
      faultState.throttledServiceRequests = Math.max(0, Math.floor(count));
    },
    restartBroker: () => gateway.restart(),
    clear: () => Object.assign(faultState, noFaults()),
  };

  return {
    hostName,
    mqttPort: gateway.port,
    serviceHost,
    caPem: tls.ca.certPem,
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    serviceConnectionString,
    deviceId,
    edgeAgentConnectionString,
    deviceConnectionString,
    gatewayHostName,
    registry,
    faults,
    telemetry: (device, module) => telemetry.get(device, module),
    connectionString,
    ...(events ? { eventsUrl: events.url } : {}),
    ...(blob ? { blob } : {}),
    stop: async () => {
      registry.off('tags', onTags);
      await Promise.all([gateway.stop(), service.stop(), events?.stop(), blob?.stop()]);
      if (hubJsonFile) rmSync(hubJsonFile, { force: true });
    },
  };
}
