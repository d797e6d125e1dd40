/**
 * Entry point of the webserver module: serves until SIGTERM or SIGINT. Settings (settings.ts):
 * PORT (default 8080); the listen address POD_IP, else SANDBOX_POD_IP (the sandbox kubelet's pod
 * IP), else every interface; EXIT_AT_START, when set, makes it exit at once with that code.
 */
import { readSettings } from './settings.js';
import { startWebServer } from './server.js';

const settings = readSettings(process.env);
if ('error' in settings) {
  console.error(settings.error);
  process.exit(1);
}
if (settings.exitAtStart !== undefined) {
  console.error(`webserver: exiting at start with code ${settings.exitAtStart} (EXIT_AT_START)`);
  process.exit(settings.exitAtStart);
}
const server = await startWebServer({ port: settings.port, host: settings.host });
console.log(`webserver listening on ${server.url}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    console.log(`webserver: ${signal}, stopping`);
    void server.stop().then(() => process.exit(0));
  });
}
