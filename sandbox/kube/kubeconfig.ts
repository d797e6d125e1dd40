/**
 * The kubeconfig (YAML) pointing at the emulator.
 */
import { stringify } from 'yaml';

/**
 * Builds kubeconfig YAML for `server`, trusting `caCert` when given (plain http
 * servers get insecure-skip-tls-verify, without which client-node refuses http).
 */
export function buildKubeconfig(server: string, caCert?: string, token = 'sandbox'): string {
  const cluster: Record<string, unknown> = { server };
  if (caCert) cluster['certificate-authority-data'] = Buffer.from(caCert).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster }],
    users: [{ name: 'sandbox', user: { token } }],
    contexts: [{ name: 'sandbox', context: { cluster: 'sandbox', user: 'sandbox', namespace: 'default' } }],
    'current-context': 'sandbox',
    preferences: {},
  });
}
