/** The webserver's settings from its environment. Pure. */
import { isIP } from 'node:net';

/** What the server is told by its environment. */
export interface Settings {
  port: number;
  /** Listen address: POD_IP, else SANDBOX_POD_IP, else every interface (0.0.0.0). */
  host: string;
  /** EXIT_AT_START: exit at start with this code instead of serving. */
  exitAtStart?: number;
}

/** Reads PORT, POD_IP / SANDBOX_POD_IP and EXIT_AT_START; an error line for a bad value. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings | { error: string } {
  const port = Number(env['PORT'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return { error: `PORT must be a TCP port number, got '${env['PORT']}'` };
  const host = env['POD_IP'] || env['SANDBOX_POD_IP'] || '0.0.0.0';
  if (isIP(host) === 0) return { error: `the listen address must be an IP address, got '${host}' (POD_IP or SANDBOX_POD_IP)` };
  const settings: Settings = { port, host };
  const exit = env['EXIT_AT_START'];
  if (exit !== undefined && exit !== '') {
    const code = Number(exit);
    if (!Number.isInteger(code) || code < 0 || code > 255) return { error: `EXIT_AT_START must be an exit code (0-255), got '${exit}'` };
    settings.exitAtStart = code;
  }
  return settings;
}
