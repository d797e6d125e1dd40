/** startOpsServer over real HTTP on a random port. */
import { BridgeMetrics, startOpsServer, type OpsServer } from '../../../translator/ops/index.js';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

test('serves metrics, liveness and readiness; 404 elsewhere', async () => {
  const metrics = new BridgeMetrics();
  metrics.setLastDesiredVersion(7);
  let ready: boolean | string = 'waiting for the first reconcile';
  server = await startOpsServer({ port: 0, metrics, ready: () => ready });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.url).not.toMatch(/:0$/);

  const m = await fetch(`${server.url}/metrics`);
  expect(m.status).toBe(200);
  expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(await m.text()).toMatch(/^iotedge_k8s_last_desired_version 7$/m);

  const h = await fetch(`${server.url}/healthz`);
  expect([h.status, await h.text()]).toEqual([200, 'ok\n']);

  const notReady = await fetch(`${server.url}/readyz`);
  expect([notReady.status, await notReady.text()]).toEqual([503, 'not ready: waiting for the first reconcile\n']);
  ready = false;
  expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
  ready = true;
  const r = await fetch(`${server.url}/readyz`);
  expect([r.status, await r.text()]).toEqual([200, 'ready\n']);

  expect((await fetch(`${server.url}/`)).status).toBe(404);
  expect((await fetch(`${server.url}/metricsx`)).status).toBe(404);
  expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
});

test('a readiness check that throws answers 503 with the reason', async () => {
  server = await startOpsServer({
    port: 0,
    metrics: new BridgeMetrics(),
    ready: () => {
      throw new Error('cache not synced');
    },
  });
  const r = await fetch(`${server.url}/readyz`);
  expect([r.status, await r.text()]).toEqual([503, 'not ready: readiness check failed: cache not synced\n']);
});

test('a port in use is a rejected start, not a crash', async () => {
  server = await startOpsServer({ port: 0, metrics: new BridgeMetrics(), ready: () => true });
  const port = Number(new URL(server.url).port);
  await expect(startOpsServer({ port, metrics: new BridgeMetrics(), ready: () => true })).rejects.toThrow(/EADDRINUSE/);
});

test('stop() closes the listener', async () => {
  const s = await startOpsServer({ port: 0, metrics: new BridgeMetrics(), ready: () => true });
  await s.stop();
  await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
});
