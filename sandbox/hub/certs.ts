/**
 * TLS material for the emulator: a self-signed CA and a server certificate it signs, covering
 * `localhost`, `127.0.0.1` and the service API's loopback address (IP SANs). Keys are generated
 * with Node's native RSA (fast); node-forge builds and signs the X.509 certificates.
 * A CA found in the state directory is reused so clients that already trust it keep working.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** A PEM certificate with its PEM private key. */
export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/** The CA and the server certificate it issued. */
export interface HubTls {
  ca: CertificatePair;
  server: CertificatePair;
}

function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function serial(): string {
  // Positive serial: clear the top bit.
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** Creates a self-signed CA valid for ten years. */
export function createCa(commonName: string): CertificatePair {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** Issues a server certificate from the CA for the given DNS names and IP addresses (valid one year). */
export function issueServerCertificate(ca: CertificatePair, dnsNames: readonly string[], ips: readonly string[]): CertificatePair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: dnsNames[0] ?? ips[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))] },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/** File names of the CA inside the state directory. */
export const CA_CERT_FILE = 'hub-ca.pem';
const CA_KEY_FILE = 'hub-ca.key.pem';

/**
 * Loads the CA from `stateDir` (or creates it and writes it there, key with mode 0600), then issues
 * a fresh server certificate. Without a state directory everything stays in memory.
 */
export function prepareTls(stateDir: string | undefined, ips: readonly string[]): HubTls & { caFile?: string } {
  let ca: CertificatePair | undefined;
  let caFile: string | undefined;
  if (stateDir) {
    caFile = join(stateDir, CA_CERT_FILE);
    const keyFile = join(stateDir, CA_KEY_FILE);
    if (existsSync(caFile) && existsSync(keyFile)) {
      ca = { certPem: readFileSync(caFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
    } else {
      ca = createCa('iotedge-k8s sandbox IoT Hub CA');
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
      writeFileSync(caFile, ca.certPem);
    }
  }
  ca ??= createCa('iotedge-k8s sandbox IoT Hub CA');
  const server = issueServerCertificate(ca, ['localhost'], [...new Set(['127.0.0.1', ...ips])]);
  return { ca, server, ...(caFile ? { caFile } : {}) };
}
