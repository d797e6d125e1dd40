import { reservedOwner } from '../../../translator/translate/reserved.js';

const object = (kind: string, name: string) => ({ kind, metadata: { name } });

describe('reservedOwner', () => {
  it('finds the owner of each reserved kind and name', () => {
    expect(reservedOwner(object('ServiceAccount', 'default'), 'edge')).toContain("ServiceAccount 'default'");
    expect(reservedOwner(object('ConfigMap', 'kube-root-ca.crt'), 'edge')).toContain("ConfigMap 'kube-root-ca.crt'");
    expect(reservedOwner(object('Deployment', 'iotedge-k8s'), 'edge')).toBe("the bridge's own Deployment 'iotedge-k8s'");
    expect(reservedOwner(object('Secret', 'iotedge-k8s-last-good'), 'edge')).toContain("Secret 'iotedge-k8s-last-good'");
  });

  it('finds a name reserved in one namespace only there', () => {
    expect(reservedOwner(object('Service', 'kubernetes'), 'default')).toContain("the API server's Service");
    expect(reservedOwner(object('Service', 'kubernetes'), 'edge')).toBeUndefined();
  });

  it('leaves other names and kinds alone, of a reserved name length or not', () => {
    expect(reservedOwner(object('Deployment', 'default'), 'edge')).toBeUndefined();
    expect(reservedOwner(object('ServiceAccount', 'module1'), 'edge')).toBeUndefined();
    expect(reservedOwner(object('ServiceAccount', 'module10'), 'edge')).toBeUndefined();
    expect(reservedOwner(object('ServiceAccount', 'defaults'), 'edge')).toBeUndefined();
  });
});
