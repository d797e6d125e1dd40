/**
 * The device CA and edgeHub's server certificate, with an injected clock: issuing, chaining,
 * persistence in a Secret, renewal and a CA rollover in which a module never distrusts edgeHub.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import {
  DEFAULT_CERTIFICATE_POLICY as P,
  deviceCaFromSecret,
  deviceCaSecret,
  DeviceCaError,
  edgeHubServerNames,
  edgeHubTlsOf,
  maintainCertificates,
  planCertificates,
  subjectAltNames,
  trustBundle,
  type DeviceCaState,
} from '../../../translator/identities/index.js';

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const NAMES = edgeHubServerNames('site1', 'gw.example.com');
const opts = { deviceId: 'dev-1' };

const pems = (bundle: string): X509Certificate[] => (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));

/** What a module that loaded `bundle` at start sees when it connects to edgeHub at `now`: does it trust the server chain? */
function moduleTrusts(bundle: string, state: DeviceCaState, now: number): boolean {
  const leaf = new X509Certificate(state.server!.certPem);
  const at = (c: X509Certificate): boolean => Date.parse(c.validFrom) <= now && now < Date.parse(c.validTo);
  return at(leaf) && pems(bundle).some((ca) => at(ca) && leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}

test('SANs: edgehub, edgehub.<ns>, edgehub.<ns>.svc, edgehub.<ns>.svc.cluster.local and the gateway host (port dropped, no duplicate)', () => {
  expect(NAMES).toEqual(['edgehub', 'edgehub.site1', 'edgehub.site1.svc', 'edgehub.site1.svc.cluster.local', 'gw.example.com']);
  expect(edgeHubServerNames('site1', 'edgehub')).toHaveLength(4);
  expect(edgeHubServerNames('site1', '127.0.0.1:8883')).toContain('127.0.0.1');
});

test('an IP gateway host becomes an IP SAN', () => {
  const { state } = maintainCertificates(undefined, edgeHubServerNames('site1', '127.0.0.1:8883'), T0, opts);
  expect(new X509Certificate(state.server!.certPem).subjectAltName).toContain('IP Address:127.0.0.1');
  expect(subjectAltNames(state.server!.certPem)).toContain('127.0.0.1');
  expect(planCertificates(state, edgeHubServerNames('site1', '127.0.0.1:8883'), T0)).toEqual([]);
});

test('first run: a CA and a server certificate with the SANs that chains to the CA modules get', () => {
  const { state, actions } = maintainCertificates(undefined, NAMES, T0, opts);
  expect(actions.map((a) => a.kind)).toEqual(['create-ca', 'issue-server']);
  const ca = new X509Certificate(state.current.certPem);
  expect(ca.ca).toBe(true);
  const tls = edgeHubTlsOf(state)!;
  const [leaf, chainCa] = pems(tls.serverCertChainPem);
  expect(leaf!.subjectAltName).toBe('DNS:edgehub, DNS:edgehub.site1, DNS:edgehub.site1.svc, DNS:edgehub.site1.svc.cluster.local, DNS:gw.example.com');
  expect(subjectAltNames(state.server!.certPem)).toEqual(NAMES);
  expect(leaf!.checkIssued(ca)).toBe(true);
  expect(leaf!.verify(ca.publicKey)).toBe(true);
  expect(chainCa!.fingerprint256).toBe(ca.fingerprint256);
  expect(pems(trustBundle(state)).map((c) => c.fingerprint256)).toEqual([ca.fingerprint256]);
  expect(Date.parse(leaf!.validTo) - T0).toBe(P.serverLifetimeMs);
  const keyOfCert = createPublicKey(createPrivateKey(tls.serverKeyPem)).export({ type: 'spki', format: 'der' });
  expect(Buffer.compare(keyOfCert, leaf!.publicKey.export({ type: 'spki', format: 'der' }))).toBe(0);
});

test('the state survives a restart through its Secret: no new CA, no new server certificate', () => {
  const { state } = maintainCertificates(undefined, NAMES, T0, opts);
  const secret = deviceCaSecret(state, 'site1');
  expect(secret.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'iotedge-k8s', 'app.kubernetes.io/component': 'device-ca' });
  const reloaded = deviceCaFromSecret(JSON.parse(JSON.stringify(secret)));
  expect(reloaded).toEqual(state);
  expect(planCertificates(reloaded, NAMES, T0 + 10 * DAY)).toEqual([]);
  expect(() => deviceCaFromSecret({ data: {} })).toThrow(DeviceCaError);
  expect(() => deviceCaFromSecret({ data: { 'ca.pem': 'eA==', 'ca.key.pem': 'eA==' } })).toThrow("key 'ca.pem' is not a PEM certificate");
});

test('the server certificate is renewed before it expires and when the names change', () => {
  const { state } = maintainCertificates(undefined, NAMES, T0, opts);
  const renewAt = Date.parse(new X509Certificate(state.server!.certPem).validTo) - P.serverRenewBeforeMs;
  expect(planCertificates(state, NAMES, renewAt - 1000)).toEqual([]);
  expect(planCertificates(state, NAMES, renewAt).map((a) => a.kind)).toEqual(['issue-server']);
  expect(planCertificates(state, [...NAMES, 'other'], T0)).toEqual([{ kind: 'issue-server', reason: 'the server names changed' }]);
});

test('over two CA lifetimes, run daily, modules never distrust edgeHub, and the CA rolls over with an overlap', () => {
  let { state } = maintainCertificates(undefined, NAMES, T0, opts);
  let bundle = trustBundle(state); // what a module started now loaded
  const cas = new Set([state.current.certPem]);
  const kinds: string[] = [];
  for (let now = T0; now < T0 + 2 * P.caLifetimeMs + 40 * DAY; now += DAY) {
    const result = maintainCertificates(state, NAMES, now, opts);
    kinds.push(...result.actions.map((a) => a.kind));
    const bundleChanged = trustBundle(result.state) !== trustBundle(state);
    state = result.state;
    cas.add(state.current.certPem);
    // A module restarted because its bundle changed (the bundle is in its credential fingerprint) loads the new one;
    // a module that was not restarted keeps the bundle it loaded.
    expect(moduleTrusts(bundle, state, now)).toBe(true);
    if (bundleChanged) bundle = trustBundle(state);
    expect(moduleTrusts(bundle, state, now)).toBe(true);
    expect(moduleTrusts(bundle, state, now + DAY - 1)).toBe(true);
  }
  expect(cas.size).toBe(3);
  expect(kinds.filter((k) => k === 'introduce-next-ca')).toHaveLength(2);
  expect(kinds.filter((k) => k === 'switch-to-next-ca')).toHaveLength(2);
  expect(kinds).toContain('drop-retired-ca');
});

test('a CA that expired while the bridge was down is replaced (the only case without overlap, and it says so)', () => {
  const { state } = maintainCertificates(undefined, NAMES, T0, opts);
  const plan = planCertificates(state, NAMES, T0 + P.caLifetimeMs + DAY);
  expect(plan.map((a) => a.kind)).toEqual(['create-ca', 'issue-server']);
  expect(plan[0]).toMatchObject({ reason: expect.stringContaining('expired') });
});

test("a TLS client holding the modules' trust bundle accepts edgeHub's served chain for every SAN and refuses another name", async () => {
  const { state } = maintainCertificates(undefined, NAMES, Date.now(), opts);
  const tls = edgeHubTlsOf(state)!;
  const server = createServer({ cert: tls.serverCertChainPem, key: tls.serverKeyPem }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handshake = (servername: string): Promise<string> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: trustBundle(state) }, () => {
        resolve('ok');
        socket.end();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  try {
    for (const name of NAMES) expect(await handshake(name)).toBe('ok');
    expect(await handshake('elsewhere.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  } finally {
    server.close();
  }
});
