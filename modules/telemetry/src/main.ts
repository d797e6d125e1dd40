/**
 * Entry point of the telemetry module: connects (see connect.ts), then sends a temperature every
 * INTERVAL_MS milliseconds (default 5000) to the edgeHub output `temperatureOutput` (or straight
 * to IoT Hub with IotHubConnectionString) until SIGTERM or SIGINT.
 */
import { connectFromEnvironment, missingCredentials } from './connect.js';
import { TelemetrySender } from './sender.js';

async function main(): Promise<void> {
  const intervalMs = Number(process.env['INTERVAL_MS'] ?? 5000);
  const missing = missingCredentials(process.env);
  if (missing !== undefined) {
    // Stay up (a restart would not bring credentials) and say why nothing is sent.
    console.log(`telemetry: cannot send telemetry: ${missing}`);
    const idle = setInterval(() => undefined, 60_000);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => (clearInterval(idle), process.exit(0)));
    return;
  }
  const { client, viaEdgeHub } = await connectFromEnvironment(process.env);
  const sender = new TelemetrySender(client, { intervalMs, ...(viaEdgeHub ? { output: 'temperatureOutput' } : {}) });
  await sender.start();
  console.log(`telemetry: sending every ${sender.interval} ms`);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      sender.stop();
      void client.close().finally(() => process.exit(0));
    });
  }
}

main().catch((e: unknown) => {
  console.error(`telemetry: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
