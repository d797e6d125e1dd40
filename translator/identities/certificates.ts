/**
 * The device CA and edgeHub's server certificate.
 *
 * The bridge generates a device CA once and keeps it, with edgeHub's current server certificate,
 * in the Secret `iotedge-k8s-device-ca` (no device label, so pruning never selects it; it
 * survives restarts and a new bridge pod). edgeHub's certificate carries the SANs `edgehub`,
 * `edgehub.<ns>`, `edgehub.<ns>.svc`, `edgehub.<ns>.svc.cluster.local` and the gateway host name.
 *
 * Renewal without a moment of distrust: the trust bundle modules get is every CA still in play
 * (current, next, retired). Some time before the CA expires a next CA is generated and added to the
 * bundle while the current CA keeps signing (modules restart with the larger bundle, because the
 * bundle is part of their credential fingerprint); after an overlap the next CA becomes current
 * and edgeHub's certificate is re-issued by it; the old CA stays in the bundle until it expires.
 * The server certificate is re-issued before it expires, never outlives its CA, and is re-issued
 * when the SANs change.
 *
 * {@link planCertificates} is pure (state, names, clock -> actions); {@link applyCertificatePlan}
 * generates keys (Node's RSA) and signs with node-forge.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { MANAGED_BY, MANAGED_BY_LABEL, type KubeObject } from '../translate/index.js';

/** A PEM certificate and its PEM private key. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

/** What the device CA Secret holds. */
export interface DeviceCaState {
  /** The CA that signs edgeHub's server certificate. */
  current: CertPair;
  /** A newer CA already trusted by modules, not yet signing (during a rollover). */
  next?: CertPair;
  /** Older CA certificates (PEM) still trusted until they expire. */
  retired: string[];
  /** edgeHub's server certificate (leaf only) and key. */
  server?: CertPair;
}

/** Lifetimes and renewal margins, in milliseconds. */
export interface CertificatePolicy {
  caLifetimeMs: number;
  /** Start a rollover when the current CA has this long left. Must exceed rolloverOverlapMs. */
  caRenewBeforeMs: number;
  /** How long the next CA is trusted before it starts signing. */
  rolloverOverlapMs: number;
  serverLifetimeMs: number;
  /** Re-issue the server certificate when it has this long left. */
  serverRenewBeforeMs: number;
}

const DAY = 24 * 3600 * 1000;

/** Defaults: CA one year, rollover 30 days before with a 1-day overlap; server 90 days (edgeHub's own CertificateValidityDays), renewed 14 days before. */
export const DEFAULT_CERTIFICATE_POLICY: CertificatePolicy = {
  caLifetimeMs: 365 * DAY,
  caRenewBeforeMs: 30 * DAY,
  rolloverOverlapMs: 1 * DAY,
  serverLifetimeMs: 90 * DAY,
  serverRenewBeforeMs: 14 * DAY,
};

/** One step of a plan. */
export type CertificateAction =
  | { kind: 'create-ca'; reason: string }
  | { kind: 'introduce-next-ca'; reason: string }
  | { kind: 'switch-to-next-ca'; reason: string }
  | { kind: 'drop-retired-ca'; count: number }
  | { kind: 'issue-server'; reason: string };

/** The edgeHub SANs for a namespace and gateway host name. */
export function edgeHubServerNames(namespace: string, gatewayHostName: string, serviceName = 'edgehub'): string[] {
  const names = [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
  const host = gatewayHostName.replace(/:\d+$/, '');
  return names.includes(host) ? names : [...names, host];
}

function validTo(pem: string): number {
  return Date.parse(new X509Certificate(pem).validTo);
}

function validFrom(pem: string): number {
  return Date.parse(new X509Certificate(pem).validFrom);
}

/** DNS names and IP addresses in a certificate's subjectAltName. */
export function subjectAltNames(pem: string): string[] {
  const san = new X509Certificate(pem).subjectAltName ?? '';
  return san
    .split(', ')
    .filter((s) => s !== '')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
}

function issuedBy(leafPem: string, caPem: string): boolean {
  const leaf = new X509Certificate(leafPem);
  const ca = new X509Certificate(caPem);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}

/**
 * What to do now. Pure: reads only the state's certificates, the wanted SANs and `now`.
 * An empty list means everything is in place.
 */
export function planCertificates(state: DeviceCaState | undefined, serverNames: readonly string[], now: number, policy: CertificatePolicy = DEFAULT_CERTIFICATE_POLICY): CertificateAction[] {
  if (state === undefined) return [{ kind: 'create-ca', reason: 'no device CA yet' }, { kind: 'issue-server', reason: 'no server certificate yet' }];
  const actions: CertificateAction[] = [];
  let signing = state.current.certPem;
  let hasNext = state.next !== undefined;
  if (validTo(signing) <= now && !hasNext) {
    actions.push({ kind: 'create-ca', reason: 'the device CA has expired (the bridge did not run during its rollover window)' });
    actions.push({ kind: 'issue-server', reason: 'new device CA' });
    return actions;
  }
  if (state.next && (validFrom(state.next.certPem) + policy.rolloverOverlapMs <= now || validTo(signing) - policy.serverRenewBeforeMs <= now)) {
    actions.push({ kind: 'switch-to-next-ca', reason: 'the next device CA has been trusted for the overlap period' });
    signing = state.next.certPem;
    hasNext = false;
  }
  if (!hasNext && validTo(signing) - policy.caRenewBeforeMs <= now) {
    actions.push({ kind: 'introduce-next-ca', reason: `the device CA expires ${new Date(validTo(signing)).toISOString()}` });
  }
  const expired = state.retired.filter((pem) => validTo(pem) <= now).length;
  if (expired > 0) actions.push({ kind: 'drop-retired-ca', count: expired });
  const server = state.server?.certPem;
  let reason: string | undefined;
  if (actions.some((a) => a.kind === 'switch-to-next-ca')) reason = 'the signing CA changed';
  else if (server === undefined) reason = 'no server certificate yet';
  else if (!issuedBy(server, signing)) reason = 'the server certificate was not issued by the current CA';
  else if (!sameNames(subjectAltNames(server), serverNames)) reason = 'the server names changed';
  else if (validTo(server) - policy.serverRenewBeforeMs <= now) reason = `the server certificate expires ${new Date(validTo(server)).toISOString()}`;
  if (reason) actions.push({ kind: 'issue-server', reason });
  return actions;
}

function rsaKey(): { key: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem);
  return { key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A self-signed device CA valid from `now` (one minute of clock skew allowed) for `lifetimeMs`. */
export function createDeviceCa(commonName: string, now: number, lifetimeMs: number): CertPair {
  const k = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = k.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + lifetimeMs);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(k.key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

/** A TLS server certificate for `dnsNames` (an IP address becomes an IP SAN), issued by `ca`, never valid beyond the CA. */
export function issueServerCertificate(ca: CertPair, dnsNames: readonly string[], now: number, lifetimeMs: number): CertPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const k = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = k.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(Math.min(now + lifetimeMs, caCert.validity.notAfter.getTime()));
  cert.setSubject([{ name: 'commonName', value: dnsNames[0] ?? 'edgehub' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: dnsNames.map((value) => (isIP(value) ? { type: 7, ip: value } : { type: 2, value })) },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

/** Options of {@link applyCertificatePlan}. */
export interface ApplyOptions {
  deviceId: string;
  policy?: CertificatePolicy;
}

/** Carries out a plan on a state; returns the new state (the input is not modified). */
export function applyCertificatePlan(state: DeviceCaState | undefined, actions: readonly CertificateAction[], serverNames: readonly string[], now: number, options: ApplyOptions): DeviceCaState | undefined {
  const policy = options.policy ?? DEFAULT_CERTIFICATE_POLICY;
  const caName = (): string => `iotedge-k8s device CA ${options.deviceId.slice(0, 40)} ${new Date(now).toISOString().slice(0, 10)}`;
  let next: DeviceCaState | undefined = state && { ...state, retired: [...state.retired] };
  for (const action of actions) {
    switch (action.kind) {
      case 'create-ca':
        next = { current: createDeviceCa(caName(), now, policy.caLifetimeMs), retired: next ? [next.current.certPem, ...next.retired] : [] };
        break;
      case 'introduce-next-ca':
        if (next) next.next = createDeviceCa(caName(), now, policy.caLifetimeMs);
        break;
      case 'switch-to-next-ca':
        if (next?.next) {
          const { next: upcoming, current, retired, ...rest } = next;
          next = { ...rest, current: upcoming, retired: [current.certPem, ...retired] };
        }
        break;
      case 'drop-retired-ca':
        if (next) next.retired = next.retired.filter((pem) => validTo(pem) > now);
        break;
      case 'issue-server':
        if (next) next.server = issueServerCertificate(next.current, serverNames, now, policy.serverLifetimeMs);
        break;
    }
  }
  return next;
}

/** The PEM bundle modules and edgeHub trust: current, next and retired CAs. */
export function trustBundle(state: DeviceCaState): string {
  return [state.current.certPem, ...(state.next ? [state.next.certPem] : []), ...state.retired].map((p) => p.trim() + '\n').join('');
}

/** edgeHub's TLS files from the state: leaf + issuing CA, key, trust bundle. */
export function edgeHubTlsOf(state: DeviceCaState): { serverCertChainPem: string; serverKeyPem: string; trustBundlePem: string } | undefined {
  if (!state.server) return undefined;
  return { serverCertChainPem: `${state.server.certPem.trim()}\n${state.current.certPem.trim()}\n`, serverKeyPem: state.server.keyPem, trustBundlePem: trustBundle(state) };
}

/** Plans and applies in one step: the state to keep and what was done. */
export function maintainCertificates(
  state: DeviceCaState | undefined,
  serverNames: readonly string[],
  now: number,
  options: ApplyOptions,
): { state: DeviceCaState; actions: CertificateAction[]; changed: boolean } {
  const actions = planCertificates(state, serverNames, now, options.policy);
  const next = applyCertificatePlan(state, actions, serverNames, now, options);
  if (!next) throw new Error('certificate plan produced no state');
  return { state: next, actions, changed: actions.length > 0 };
}

/** Name of the Secret that keeps the device CA and edgeHub's server certificate. */
export const DEVICE_CA_SECRET = 'iotedge-k8s-device-ca';

/** A device CA Secret that cannot be read back. The message never contains key material. */
export class DeviceCaError extends Error {
  override readonly name = 'DeviceCaError';
}

const KEYS = { current: 'ca.pem', currentKey: 'ca.key.pem', next: 'next-ca.pem', nextKey: 'next-ca.key.pem', retired: 'retired-cas.pem', server: 'edgehub-server.pem', serverKey: 'edgehub-server.key.pem' } as const;

/** The Secret that keeps the state. Like the last-good Secret it has no device label, so pruning never selects it. */
export function deviceCaSecret(state: DeviceCaState, namespace: string): KubeObject {
  const data: Record<string, string> = { [KEYS.current]: state.current.certPem, [KEYS.currentKey]: state.current.keyPem, [KEYS.retired]: state.retired.join('') };
  if (state.next) Object.assign(data, { [KEYS.next]: state.next.certPem, [KEYS.nextKey]: state.next.keyPem });
  if (state.server) Object.assign(data, { [KEYS.server]: state.server.certPem, [KEYS.serverKey]: state.server.keyPem });
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: DEVICE_CA_SECRET, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, 'app.kubernetes.io/component': 'device-ca' } },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** Reads the state back from the Secret as the API returns it (base64 `data`). Throws DeviceCaError when malformed. */
export function deviceCaFromSecret(secret: unknown): DeviceCaState {
  const data = (secret as { data?: Record<string, unknown> } | undefined)?.data;
  if (typeof data !== 'object' || data === null) throw new DeviceCaError(`Secret ${DEVICE_CA_SECRET} has no data`);
  const read = (key: string): string | undefined => (typeof data[key] === 'string' ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
  const pair = (cert: string, key: string, required: boolean): CertPair | undefined => {
    const certPem = read(cert);
    const keyPem = read(key);
    if (certPem === undefined || keyPem === undefined) {
      if (required) throw new DeviceCaError(`Secret ${DEVICE_CA_SECRET} lacks '${cert}' or '${key}'`);
      return undefined;
    }
    try {
      new X509Certificate(certPem);
    } catch {
      throw new DeviceCaError(`Secret ${DEVICE_CA_SECRET} key '${cert}' is not a PEM certificate`);
    }
    return { certPem, keyPem };
  };
  const current = pair(KEYS.current, KEYS.currentKey, true)!;
  const next = pair(KEYS.next, KEYS.nextKey, false);
  const server = pair(KEYS.server, KEYS.serverKey, false);
  const retired = (read(KEYS.retired) ?? '').match(PEM_BLOCK)?.map((p) => (p.endsWith('\n') ? p : `${p}\n`)) ?? [];
  return { current, ...(next ? { next } : {}), retired, ...(server ? { server } : {}) };
}
