/** The webserver sample module, run in-process on a random port and fetched over HTTP. */
import { moduleIdentity, renderPage, startWebServer, type WebServer } from '../../modules/webserver/src/server.js';
import { readSettings } from '../../modules/webserver/src/settings.js';

const env = {
  IOTEDGE_MODULEID: 'webserverapp',
  IOTEDGE_DEVICEID: 'edge-device',
  IOTEDGE_IOTHUBHOSTNAME: 'contoso.azure-devices.net',
  IOTEDGE_GATEWAYHOSTNAME: 'edgehub',
  IOTEDGE_APIVERSION: '2019-01-30',
  IOTEDGE_AUTHSCHEME: 'sasToken',
  IOTEDGE_SASKEY: 'c2VjcmV0',
  PATH: '/usr/bin',
};

let server: WebServer;
beforeAll(async () => {
  server = await startWebServer({ port: 0, host: '127.0.0.1', env, hostname: 'webserverapp-5d9c7b-x2x7q' });
});
afterAll(() => server.stop());

test('GET / as JSON shows the module identity and IOTEDGE_* environment only', async () => {
  const res = await fetch(`${server.url}/`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await res.json()).toEqual({
    moduleId: 'webserverapp',
    deviceId: 'edge-device',
    iotHubHostName: 'contoso.azure-devices.net',
    gatewayHostName: 'edgehub',
    podName: 'webserverapp-5d9c7b-x2x7q',
    hostname: 'webserverapp-5d9c7b-x2x7q',
    pid: process.pid,
    environment: {
      IOTEDGE_APIVERSION: '2019-01-30',
      IOTEDGE_AUTHSCHEME: 'sasToken',
      IOTEDGE_DEVICEID: 'edge-device',
      IOTEDGE_GATEWAYHOSTNAME: 'edgehub',
      IOTEDGE_IOTHUBHOSTNAME: 'contoso.azure-devices.net',
      IOTEDGE_MODULEID: 'webserverapp',
    },
  });
});

test('GET /identity.json is JSON whatever the Accept header', async () => {
  const res = await fetch(`${server.url}/identity.json`);
  expect((await res.json()) as { moduleId: string }).toMatchObject({ moduleId: 'webserverapp' });
});

test('GET / in a browser is an HTML page naming the module, device and host', async () => {
  const res = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await res.text();
  expect(html).toContain('<h1>webserverapp on edge-device</h1>');
  expect(html).toContain('<code>webserverapp-5d9c7b-x2x7q</code>');
  expect(html).toContain('<tr><th>IOTEDGE_IOTHUBHOSTNAME</th><td>contoso.azure-devices.net</td></tr>');
  expect(html).not.toContain('c2VjcmV0');
});

test('GET /healthz is ok; unknown paths 404; writes 405', async () => {
  const h = await fetch(`${server.url}/healthz`);
  expect([h.status, await h.text()]).toEqual([200, 'ok\n']);
  expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  expect((await fetch(`${server.url}/`, { method: 'POST', body: 'x' })).status).toBe(405);
});

test('values are escaped in the page', () => {
  const page = renderPage(moduleIdentity({ IOTEDGE_MODULEID: '<script>x</script>' }, 'h'));
  expect(page).not.toContain('<script>');
  expect(page).toContain('&#60;script&#62;');
});

test('POD_NAME, else HOSTNAME, names the pod', () => {
  expect(moduleIdentity({ HOSTNAME: 'web-abc' }, 'machine').podName).toBe('web-abc');
  expect(moduleIdentity({ HOSTNAME: 'web-abc', POD_NAME: 'web-xyz' }, 'machine').podName).toBe('web-xyz');
  expect(moduleIdentity({}, 'machine').podName).toBe('machine');
});

test('settings: PORT, the listen address from POD_IP or SANDBOX_POD_IP, EXIT_AT_START', () => {
  expect(readSettings({})).toEqual({ port: 8080, host: '0.0.0.0' });
  expect(readSettings({ PORT: '81', SANDBOX_POD_IP: '127.244.0.2' })).toEqual({ port: 81, host: '127.244.0.2' });
  expect(readSettings({ POD_IP: '10.1.2.3', SANDBOX_POD_IP: '127.244.0.2' })).toEqual({ port: 8080, host: '10.1.2.3' });
  expect(readSettings({ EXIT_AT_START: '3' })).toEqual({ port: 8080, host: '0.0.0.0', exitAtStart: 3 });
  expect(readSettings({ EXIT_AT_START: '0' })).toMatchObject({ exitAtStart: 0 });
  expect(readSettings({ EXIT_AT_START: 'x' })).toEqual({ error: "EXIT_AT_START must be an exit code (0-255), got 'x'" });
  expect(readSettings({ PORT: '70000' })).toEqual({ error: "PORT must be a TCP port number, got '70000'" });
  expect(readSettings({ POD_IP: 'web' })).toMatchObject({ error: expect.stringContaining("got 'web'") });
});
