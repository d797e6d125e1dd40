import {
  assignModuleNames,
  assignNames,
  isDns1035Label,
  isPortName,
  isQualifiedName,
  shortHash,
  toDns1123Label,
  toDnsLabel,
  toDnsSubdomain,
  toLabelValue,
} from '../../../translator/translate/names.js';

describe('toDnsLabel', () => {
  it('keeps a valid lowercase name', () => {
    expect(toDnsLabel('webserverapp')).toEqual({ name: 'webserverapp', changed: false });
  });

  it('only lowercases a name that needs nothing else (Azure Stack Edge: WebServerApp -> webserverapp)', () => {
    expect(toDnsLabel('WebServerApp')).toEqual({ name: 'webserverapp', changed: false });
    expect(toDnsLabel('edgeHub')).toEqual({ name: 'edgehub', changed: false });
  });

  it('replaces invalid characters and adds the hash of the original name', () => {
    const s = toDnsLabel('my_module.v2');
    expect(s).toEqual({ name: `my-module-v2-${shortHash('my_module.v2')}`, changed: true });
  });

  it('makes a name start with a letter', () => {
    const s = toDnsLabel('1module');
    expect(s.name).toBe(`m-1module-${shortHash('1module')}`);
    expect(isDns1035Label(s.name)).toBe(true);
  });

  it('shortens long names to 63 characters with the hash suffix', () => {
    const long = 'a'.repeat(80);
    const s = toDnsLabel(long);
    expect(s.name).toHaveLength(63);
    expect(s.name.endsWith(`-${shortHash(long)}`)).toBe(true);
    expect(isDns1035Label(s.name)).toBe(true);
  });

  it('gives different originals different names even when they sanitize alike', () => {
    expect(toDnsLabel('a_b').name).not.toBe(toDnsLabel('a.b').name);
  });

  it('always returns a DNS-1035 label, even for names of only invalid characters', () => {
    for (const odd of ['___', '-', '9', 'é', 'A'.repeat(64), '$edgeAgent', 'x-']) expect(isDns1035Label(toDnsLabel(odd).name)).toBe(true);
  });
});

describe('shortHash', () => {
  it('is 8 hex characters and stable', () => {
    expect(shortHash('WebServerApp')).toMatch(/^[0-9a-f]{8}$/);
    expect(shortHash('WebServerApp')).toBe(shortHash('WebServerApp'));
    expect(shortHash('WebServerApp')).not.toBe(shortHash('webserverapp'));
  });
});

describe('assignModuleNames', () => {
  it('keeps the exact lowercase name and hashes the colliding one', () => {
    const names = assignModuleNames(['WebApp', 'webapp']);
    expect(names.get('webapp')).toEqual({ original: 'webapp', name: 'webapp' });
    expect(names.get('WebApp')).toEqual({
      original: 'WebApp',
      name: `webapp-${shortHash('WebApp')}`,
      reason: 'collision',
      collidedWith: ['webapp'],
    });
  });

  it('hashes every member when none is exact', () => {
    const names = assignModuleNames(['WebApp', 'WEBAPP']);
    expect(names.get('WebApp')!.name).toBe(`webapp-${shortHash('WebApp')}`);
    expect(names.get('WEBAPP')!.name).toBe(`webapp-${shortHash('WEBAPP')}`);
  });

  it('lets a reserved id (edgeHub) win its name', () => {
    const names = assignModuleNames(['edgehub', 'edgeHub'], ['edgeHub']);
    expect(names.get('edgeHub')!.name).toBe('edgehub');
    expect(names.get('edgehub')!.reason).toBe('collision');
  });

  it('hashes a name something else owns, whether the id needed lowercasing or not', () => {
    const names = assignModuleNames(['default', 'Kubernetes', 'app'], [], new Map([['default', 'the ServiceAccount'], ['kubernetes', 'the Service']]));
    expect(names.get('default')).toEqual({ original: 'default', name: `default-${shortHash('default')}`, reason: 'reserved', reservedBy: 'the ServiceAccount' });
    expect(names.get('Kubernetes')).toEqual({ original: 'Kubernetes', name: `kubernetes-${shortHash('Kubernetes')}`, reason: 'reserved', reservedBy: 'the Service' });
    expect(names.get('app')).toEqual({ original: 'app', name: 'app' });
  });

  it('does not depend on the input order', () => {
    const a = assignModuleNames(['B_x', 'b', 'B', 'c']);
    const b = assignModuleNames(['c', 'B', 'b', 'B_x']);
    expect([...a].sort()).toEqual([...b].sort());
  });

  it('marks names that needed more than lowercasing', () => {
    expect(assignNames(['my_vol'], toDnsSubdomain).get('my_vol')!.reason).toBe('sanitized');
  });
});

describe('other name kinds', () => {
  it('toDnsSubdomain keeps dots', () => {
    expect(toDnsSubdomain('share.one')).toEqual({ name: 'share.one', changed: false });
    expect(toDnsSubdomain('Share_1').name).toBe(`share-1-${shortHash('Share_1')}`);
  });

  it('toDns1123Label accepts a leading digit', () => {
    expect(toDns1123Label('1host')).toEqual({ name: '1host', changed: false });
  });

  it('toLabelValue keeps valid values and repairs others', () => {
    expect(toLabelValue('myhub.azure-devices.net')).toBe('myhub.azure-devices.net');
    expect(toLabelValue('device:01/a')).toBe('device-01-a');
    const long = toLabelValue('d'.repeat(70));
    expect(long).toHaveLength(63);
    expect(toLabelValue('-edge-')).toBe('edge');
  });

  it('isPortName follows IANA_SVC_NAME', () => {
    expect(isPortName('tcp-8080')).toBe(true);
    expect(isPortName('8080')).toBe(false);
    expect(isPortName('sctp-65535-long')).toBe(true);
    expect(isPortName('a--b')).toBe(false);
    expect(isPortName('abcdefghijklmnop')).toBe(false);
  });

  it('isQualifiedName checks prefix and name', () => {
    expect(isQualifiedName('com.example.vendor')).toBe(true);
    expect(isQualifiedName('example.com/role')).toBe(true);
    expect(isQualifiedName('Bad Key')).toBe(false);
    expect(isQualifiedName('UPPER.example/x')).toBe(false);
  });

  it('isQualifiedName refuses an empty prefix or name and a second slash', () => {
    for (const key of ['/x', 'example.com/', 'a/b/c', 'example.com//x', 'example.com/x/', '', 'a'.repeat(63), `example.com/${'a'.repeat(64)}`])
      expect([key, isQualifiedName(key)]).toEqual([key, key === 'a'.repeat(63)]);
  });
});
