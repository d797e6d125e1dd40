/**
 * Makes an azure-iothub `Registry` or `Client` trust a CA (a private IoT Hub gateway's, the
 * sandbox hub's) inside the current process: `push --ca`, and tests that talk to the sandbox.
 *
 * Why this exists: the SDK builds its own `https.Agent({ keepAlive: true })`, so neither
 * `https.globalAgent.options.ca` nor any per-call option reaches its TLS connections, and
 * `NODE_EXTRA_CA_CERTS` is only read when Node starts. A separate process should set
 * `NODE_EXTRA_CA_CERTS=<caFile>` instead; this helper is for `push --ca` and for tests that start the
 * emulator and the SDK in one process. It replaces the SDK's agent with one that carries the CA, through the
 * SDK's (undocumented) `_restApiClient.setOptions`, and throws if the SDK no longer has it.
 */
import { Agent } from 'node:https';

interface RestApiClientHolder {
  _restApiClient?: { setOptions?: (options: unknown) => void };
}

/** Makes `sdkObject` (an azure-iothub Registry, Client or JobClient) trust `caPem`. Returns the object. */
export function trustHubCa<T extends object>(sdkObject: T, caPem: string): T {
  const rest = (sdkObject as RestApiClientHolder)._restApiClient;
  if (!rest || typeof rest.setOptions !== 'function') {
    throw new TypeError('trustHubCa: this azure-iothub object has no _restApiClient.setOptions; run it with NODE_EXTRA_CA_CERTS=<caFile> instead');
  }
  rest.setOptions({ http: { agent: new Agent({ keepAlive: true, ca: caPem }) } });
  return sdkObject;
}
