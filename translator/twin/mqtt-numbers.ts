/**
 * MQTT.js (under azure-iot-device-mqtt) writes every 16-bit number of a packet through
 * mqtt-packet, which by default fills a cache of 65,536 two-byte Buffers on its first write: about
 * 6 MiB of the bridge's heap for the few packet ids and lengths a twin link writes. Turning the
 * cache off makes mqtt-packet allocate each number's two bytes when it writes them (the same
 * bytes on the wire). Read from mqtt-packet 6.10 `writeToStream.js` (`cacheNumbers`).
 */
import { createRequire } from 'node:module';

interface PacketWriter {
  cacheNumbers: boolean;
}

/**
 * The mqtt-packet writer of the MQTT.js that azure-iot-device-mqtt loads (resolved along its
 * own dependency chain, so the instance it uses), or undefined when the chain is laid out otherwise.
 */
export function mqttPacketWriter(): PacketWriter | undefined {
  try {
    let require = createRequire(import.meta.url);
    for (const name of ['azure-iot-device-mqtt', 'azure-iot-mqtt-base', 'mqtt']) require = createRequire(require.resolve(name));
    const writer = (require('mqtt-packet') as { writeToStream?: Partial<PacketWriter> }).writeToStream;
    return writer && typeof writer.cacheNumbers === 'boolean' ? (writer as PacketWriter) : undefined;
  } catch {
    return undefined;
  }
}

/** Turns mqtt-packet's number cache off before the first packet is written; true when it did. */
export function skipMqttNumberCache(): boolean {
  const writer = mqttPacketWriter();
  if (!writer) return false;
  writer.cacheNumbers = false;
  return true;
}
