/**
 * The IoT Hub emulator in a child process (bench/hub-emulator-server.ts), so that the bench's own
 * work (its cluster watches, the proxy, the twin polls) does not slow the hub's answers to the
 * bridge: the bridge and both emulators each run in a process of their own.
 */
import { join } from 'node:path';
import type { HubEmulator } from '../sandbox/hub/index.js';
import { spawnEmulatorChild } from './emulator-child.js';

/** What the bench uses of the hub: names, CA and connection strings. */
export type HubEmulatorProcess = Pick<HubEmulator, 'hostName' | 'caPem' | 'caFile' | 'serviceConnectionString' | 'deviceId' | 'edgeAgentConnectionString' | 'deviceConnectionString'> & {
  stop(): Promise<void>;
};

/**
 * Starts the hub with its state in `stateDir` and its service API on `serviceHost`; resolves once
 * it serves. HUB_EMULATOR_NODE_ARGS adds node options (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
 */
export async function spawnHubEmulator(stateDir: string, serviceHost: string): Promise<HubEmulatorProcess> {
  const child = await spawnEmulatorChild<Partial<HubEmulatorProcess> & { error?: string }>(
    'hub emulator',
    join(import.meta.dirname, 'hub-emulator-server.ts'),
    [stateDir, serviceHost],
    'HUB_EMULATOR_NODE_ARGS',
  );
  const { hostName, caPem, caFile, serviceConnectionString, deviceId, edgeAgentConnectionString, deviceConnectionString } = child.first;
  if (!hostName || !caPem || !serviceConnectionString || !deviceId || !edgeAgentConnectionString || !deviceConnectionString) throw new Error('hub emulator: incomplete description');
  return { hostName, caPem, caFile, serviceConnectionString, deviceId, edgeAgentConnectionString, deviceConnectionString, stop: () => child.stop() };
}
