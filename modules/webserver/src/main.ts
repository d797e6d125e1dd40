/** Entry point of the webserver module: serves on PORT (default 8080) until SIGTERM or SIGINT. */
import { startWebServer } from './server.js';

const port = Number(process.env['PORT'] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got '${process.env['PORT']}'`);
  process.exit(1);
}
const server = await startWebServer({ port });
console.log(`webserver listening on port ${port}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.stop().then(() => process.exit(0));
  });
}
