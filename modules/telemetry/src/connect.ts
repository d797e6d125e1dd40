/**
 * How the telemetry module connects, as IoT Edge modules do: a connection string from
 * `EdgeHubConnectionString` (through edgeHub) or `IotHubConnectionString` (straight to IoT Hub),
 * trusting `EdgeModuleCACertificateFile` when given; otherwise `ModuleClient.fromEnvironment`,
 * which uses the IoT Edge workload API (`IOTEDGE_WORKLOADURI`, ...). Always the MQTT transport.
 */
import { readFile } from 'node:fs/promises';
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
      const ca = await readFile(caFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
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
