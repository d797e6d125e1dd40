import { translateOne } from './builders.js';
import { assertValidK8s } from '../../support/k8s-schema.js';

describe('ServiceAccount', () => {
  it('one per module, token automount off, used by the pod', () => {
    const r = translateOne({});
    const [sa] = r.ofKind('ServiceAccount');
    expect(sa).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'mod',
        namespace: 'default',
        labels: {
          'app.kubernetes.io/managed-by': 'iotedge-k8s',
          'app.kubernetes.io/name': 'mod',
          'net.azure-devices.edge.deviceid': 'edge-device',
          'net.azure-devices.edge.hub': 'localhost',
          'net.azure-devices.edge.module': 'mod',
        },
        annotations: { 'net.azure-devices.edge.original-moduleid': 'mod' },
      },
      automountServiceAccountToken: false,
    });
    expect(r.pod.serviceAccountName).toBe('mod');
    expect(r.pod.automountServiceAccountToken).toBe(false);
    assertValidK8s(r.objects);
  });
});
