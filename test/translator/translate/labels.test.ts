import { deviceLabels, moduleMetadata, objectLabels, selectorLabels } from '../../../translator/translate/labels.js';
import { translateOne } from './builders.js';

describe('labels', () => {
  const device = deviceLabels('my device:1', 'myhub.azure-devices.net');

  it('sanitizes device id and hub into label values', () => {
    expect(device).toEqual({ deviceId: 'my-device-1', hub: 'myhub.azure-devices.net' });
  });

  it('module-scoped objects carry the module label and original module id', () => {
    expect(moduleMetadata(device, 'ns', 'webserverapp', 'WebServerApp')).toEqual({
      name: 'webserverapp',
      namespace: 'ns',
      labels: {
        'app.kubernetes.io/managed-by': 'iotedge-k8s',
        'app.kubernetes.io/name': 'webserverapp',
        'net.azure-devices.edge.deviceid': 'my-device-1',
        'net.azure-devices.edge.hub': 'myhub.azure-devices.net',
        'net.azure-devices.edge.module': 'webserverapp',
      },
      annotations: { 'net.azure-devices.edge.original-moduleid': 'WebServerApp' },
    });
  });

  it('shared objects carry no module label', () => {
    expect(objectLabels(device, 'pull-acr')).not.toHaveProperty(['net.azure-devices.edge.module']);
  });

  it('selects pods by device, module and managed-by', () => {
    expect(selectorLabels(device, 'web')).toEqual({
      'app.kubernetes.io/managed-by': 'iotedge-k8s',
      'net.azure-devices.edge.deviceid': 'my-device-1',
      'net.azure-devices.edge.module': 'web',
    });
  });

  it('every object of a translation carries the ownership labels and namespace', () => {
    const r = translateOne({ ExposedPorts: { '80/tcp': {} } }, {}, { namespace: 'site-1', deviceId: 'dev1', hubHostname: 'hub.example' });
    expect(r.objects.length).toBeGreaterThanOrEqual(3);
    for (const o of r.objects) {
      expect(o.metadata.namespace).toBe('site-1');
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'iotedge-k8s',
        'net.azure-devices.edge.deviceid': 'dev1',
        'net.azure-devices.edge.hub': 'hub.example',
        'net.azure-devices.edge.module': 'mod',
      });
      expect(o.metadata.annotations).toEqual({ 'net.azure-devices.edge.original-moduleid': 'mod' });
    }
  });
});
