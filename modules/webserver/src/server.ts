/**
 * The webserver sample module: a stateless HTTP server (node:http) that shows who it is. `GET /`
 * answers HTML, or JSON when the client asks for `application/json`; `GET /identity.json` is
 * always JSON; `GET /healthz` answers `ok`. The identity is the module's `IOTEDGE_*`
 * variables (IoT Edge sets them; the bridge sets the same ones on Kubernetes) and the host name.
 * Variables that could hold a secret are never shown.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';

/** What the server shows. */
export interface ModuleIdentity {
  moduleId?: string;
  deviceId?: string;
  iotHubHostName?: string;
  gatewayHostName?: string;
  /** The pod (Kubernetes) or container name: `POD_NAME`, else `HOSTNAME`, else the host name. */
  podName: string;
  hostname: string;
  /** The server's process id. */
  pid: number;
  /** Every `IOTEDGE_*` variable except those that look secret, sorted by name. */
  environment: Record<string, string>;
}

/** Variable names never shown: keys, tokens, passwords, connection strings. */
const SECRET_NAME = /KEY|TOKEN|PASSWORD|SECRET|CONNECTIONSTRING|SAS/i;

/** The identity shown for an environment and host name. Pure. */
export function moduleIdentity(env: Readonly<Record<string, string | undefined>>, hostname: string, pid = 0): ModuleIdentity {
  const environment: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (name.startsWith('IOTEDGE_') && value !== undefined && !SECRET_NAME.test(name)) environment[name] = value;
  }
  const identity: ModuleIdentity = { podName: env['POD_NAME'] || env['HOSTNAME'] || hostname, hostname, pid, environment };
  if (env['IOTEDGE_MODULEID']) identity.moduleId = env['IOTEDGE_MODULEID'];
  if (env['IOTEDGE_DEVICEID']) identity.deviceId = env['IOTEDGE_DEVICEID'];
  if (env['IOTEDGE_IOTHUBHOSTNAME']) identity.iotHubHostName = env['IOTEDGE_IOTHUBHOSTNAME'];
  if (env['IOTEDGE_GATEWAYHOSTNAME']) identity.gatewayHostName = env['IOTEDGE_GATEWAYHOSTNAME'];
  return identity;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML page for an identity. Pure. */
export function renderPage(identity: ModuleIdentity): string {
  const title = `${identity.moduleId ?? 'webserver'} on ${identity.deviceId ?? 'an unknown device'}`;
  const rows = Object.entries(identity.environment)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Host name: <code>${escapeHtml(identity.hostname)}</code></p>
<table>
${rows}
</table>
</body>
</html>
`;
}

/** Options of {@link startWebServer}. */
export interface WebServerOptions {
  /** @default 8080 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default os.hostname() */
  hostname?: string;
}

/** A listening web server. */
export interface WebServer {
  url: string;
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, identity: ModuleIdentity): void {
  const path = new URL(req.url ?? '/', 'http://module').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  if (path === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
  const wantsJson = path === '/identity.json' || (path === '/' && (req.headers.accept ?? '').includes('application/json'));
  if (wantsJson) return send(res, 200, 'application/json', JSON.stringify(identity, null, 2) + '\n');
  if (path === '/') return send(res, 200, 'text/html', renderPage(identity));
  send(res, 404, 'text/plain', 'not found\n');
}

/** Starts the server; resolves once it listens. */
export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const env = options.env ?? process.env;
  const identity = moduleIdentity(env, options.hostname ?? env['HOSTNAME'] ?? osHostname(), process.pid);
  const server = createServer((req, res) => handle(req, res, identity));
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
