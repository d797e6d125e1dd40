/**
 * Device-scoped shared access signatures, as aziot-identityd signs its registry calls
 * (iot-identity-service, identity/aziot-cloud-client-async/src/connector.rs): the resource is
 * `<hub host>/devices/<device id>`, lowercased and URL-encoded, signed with HMAC-SHA256 over
 * `<resource>\n<expiry>` with the device key, and without `skn`. Pure: the clock is a parameter.
 */
import { createHmac } from 'node:crypto';

/** A SAS token for `resource` valid until `expiresAt` (seconds since the epoch), signed with a base64 key. */
export function sasToken(resource: string, key: string, expiresAt: number): string {
  const sr = encodeURIComponent(resource.toLowerCase());
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${expiresAt}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiresAt}`;
}

/** The device-scoped token that lets an IoT Edge device manage its own module identities. */
export function deviceSasToken(hostName: string, deviceId: string, deviceKey: string, expiresAt: number): string {
  return sasToken(`${hostName}/devices/${deviceId}`, deviceKey, expiresAt);
}
