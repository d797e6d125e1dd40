/**
 * How the telemetry module connects, as IoT Edge modules do: a connection string from
 * `EdgeHubConnectionString` (through edgeHub) or `IotHubConnectionString` (straight to IoT Hub),
 * trusting `EdgeModuleCACertificateFile` when given; otherwise `ModuleClient.fromEnvironment`,
 * which uses the IoT Edge workload API (`IOTEDGE_WORKLOADURI`, ...). Always the MQTT transport.
 * In the sandbox (SANDBOX_ROOT set), an absolute certificate path is read under SANDBOX_ROOT.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
// The SDKs are CommonJS: plain Node ESM gives them only as default exports.
import deviceSdk, { type ModuleClient } from 'azure-iot-device';
import mqttTransport from 'azure-iot-device-mqtt';

const { ModuleClient: ModuleClientClass } = deviceSdk;
const { Mqtt } = mqttTransport;

/** A connected client and whether it talks to edgeHub (then telemetry goes to an output). */
export interface Connection {
  client: ModuleClient;
  viaEdgeHub: boolean;
}

/** The workload API variables `ModuleClient.fromEnvironment` needs without a connection string. */
const WORKLOAD_VARIABLES = ['IOTEDGE_WORKLOADURI', 'IOTEDGE_DEVICEID', 'IOTEDGE_MODULEID', 'IOTEDGE_IOTHUBHOSTNAME', 'IOTEDGE_AUTHSCHEME', 'IOTEDGE_MODULEGENERATIONID'];

/** Why the environment holds no credentials to connect with, or undefined when it has some. Pure. */
export function missingCredentials(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env['EdgeHubConnectionString'] || env['IotHubConnectionString']) return undefined;
  const missing = WORKLOAD_VARIABLES.filter((name) => !env[name]);
  if (missing.length === 0) return undefined;
  return `no module credentials: neither EdgeHubConnectionString nor IotHubConnectionString is set, and the IoT Edge workload API variables are incomplete (missing ${missing.join(', ')})`;
}

/** A path the module was given, as this process sees it: absolute paths under SANDBOX_ROOT in the sandbox. Pure. */
export function sandboxPath(path: string, env: Readonly<Record<string, string | undefined>>): string {
  const root = env['SANDBOX_ROOT'];
  return root && isAbsolute(path) ? join(root, path) : path;
}

/** Creates and opens a ModuleClient from the environment. Errors never contain the connection string. */
export async function connectFromEnvironment(env: Readonly<Record<string, string | undefined>>): Promise<Connection> {
  const edgeHub = env['EdgeHubConnectionString'];
  const connectionString = edgeHub ?? env['IotHubConnectionString'];
  let client: ModuleClient;
  if (connectionString !== undefined && connectionString !== '') {
    try {
      client = ModuleClientClass.fromConnectionString(connectionString, Mqtt);
    } catch {
      throw new Error(`${edgeHub !== undefined ? 'EdgeHubConnectionString' : 'IotHubConnectionString'} is not a valid module connection string`);
    }
    const caFile = env['EdgeModuleCACertificateFile'];
    if (caFile !== undefined && caFile !== '') {
      const ca = await readFile(sandboxPath(caFile, env), 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`cannot read EdgeModuleCACertificateFile ${caFile} (${e.code ?? 'read error'})`);
      });
      await client.setOptions({ ca });
    }
  } else {
    client = await ModuleClientClass.fromEnvironment(Mqtt);
  }
  await client.open();
  return { client, viaEdgeHub: edgeHub !== undefined || connectionString === undefined };
}
