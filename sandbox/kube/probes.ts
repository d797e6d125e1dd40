/**
 * One readiness probe attempt against a process container, as the kubelet runs it: `httpGet`
 * (2xx/3xx within timeoutSeconds; host defaults to the pod IP, a named port is looked up in the
 * container's ports), `tcpSocket` (the connection opens), `exec` (the command exits 0, run with
 * the container's environment and working directory). `grpc` probes are not run (they pass).
 */
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ProcessSpec } from './process-runner.js';
import { isObject, type JsonObject } from './types.js';

/** The probe's timing, with the Kubernetes defaults. */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

const seconds = (v: unknown, fallback: number): number => (typeof v === 'number' && v >= 0 ? v : fallback) * 1000;
const count = (v: unknown, fallback: number): number => (typeof v === 'number' && v >= 1 ? v : fallback);

/** Timing fields of a probe with their defaults (0 s delay, 10 s period, 1 s timeout, 1 / 3). Pure. */
export function probeTiming(probe: JsonObject): ProbeTiming {
  return {
    initialDelayMs: seconds(probe.initialDelaySeconds, 0),
    periodMs: seconds(probe.periodSeconds, 10),
    timeoutMs: seconds(probe.timeoutSeconds, 1),
    successThreshold: count(probe.successThreshold, 1),
    failureThreshold: count(probe.failureThreshold, 3),
  };
}

function portOf(port: unknown, container: JsonObject): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port !== 'string') return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  const ports = Array.isArray(container.ports) ? container.ports.filter(isObject) : [];
  const found = ports.find((p) => p.name === port);
  return typeof found?.containerPort === 'number' ? found.containerPort : undefined;
}

/** Runs one attempt; resolves true when it passes. Never rejects. */
export function probeOnce(probe: JsonObject, container: JsonObject, podIP: string, spec: ProcessSpec, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (isObject(probe.httpGet)) {
      const h = probe.httpGet;
      const port = portOf(h.port, container);
      if (port === undefined) return resolve(false);
      const headers: Record<string, string> = {};
      for (const header of Array.isArray(h.httpHeaders) ? h.httpHeaders.filter(isObject) : []) if (typeof header.name === 'string') headers[header.name] = String(header.value ?? '');
      const https = h.scheme === 'HTTPS';
      const req = (https ? httpsRequest : httpRequest)(
        { host: typeof h.host === 'string' && h.host !== '' ? h.host : podIP, port, path: typeof h.path === 'string' ? h.path : '/', headers, timeout: timeoutMs, rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
      return;
    }
    if (isObject(probe.tcpSocket)) {
      const t = probe.tcpSocket;
      const port = portOf(t.port, container);
      if (port === undefined) return resolve(false);
      const socket = connect(port, typeof t.host === 'string' && t.host !== '' ? t.host : podIP);
      socket.setTimeout(timeoutMs, () => socket.destroy());
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
      return;
    }
    if (isObject(probe.exec)) {
      const command = Array.isArray(probe.exec.command) ? probe.exec.command.map(String) : [];
      if (command.length === 0) return resolve(false);
      execFile(command[0]!, command.slice(1), { cwd: spec.cwd, env: spec.env, timeout: timeoutMs }, (error) => resolve(!error));
      return;
    }
    resolve(true);
  });
}
