/** Helpers for the end-to-end tests: real SDK clients against a running emulator. */
import { ModuleClient, type Twin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client, Registry } from 'azure-iothub';
import { trustHubCa, type HubEmulator } from '../../../sandbox/hub/index.js';
export { waitFor } from '../../support/wait.js';

/** Opens a module client with the Mqtt transport that trusts the emulator CA. */
export async function openModule(connectionString: string, caPem: string): Promise<ModuleClient> {
  const client = ModuleClient.fromConnectionString(connectionString, Mqtt);
  await client.setOptions({ ca: caPem });
  await client.open();
  return client;
}

/** An azure-iothub Registry for the emulator's service API. */
export function serviceRegistry(hub: HubEmulator): Registry {
  return trustHubCa(Registry.fromConnectionString(hub.serviceConnectionString), hub.caPem);
}

/** An azure-iothub service Client for the emulator's service API. */
export function serviceClient(hub: HubEmulator): Client {
  return trustHubCa(Client.fromConnectionString(hub.serviceConnectionString), hub.caPem);
}


/** Collects the desired-property patches a twin receives (registering the listener enables them). */
export function collectDesired(twin: Twin): Record<string, unknown>[] {
  const patches: Record<string, unknown>[] = [];
  twin.on('properties.desired', (patch: Record<string, unknown>) => patches.push(patch));
  return patches;
}

/** Sends a reported-properties patch and resolves when the hub acknowledges it. */
export function report(twin: Twin, patch: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => twin.properties.reported.update(patch, (err?: Error) => (err ? reject(err) : resolve())));
}
