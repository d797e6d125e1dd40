/** Support bundle redaction and the ZIP writer (read back with the system's unzip). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactJson, redactText, supportBundleZip, zip } from '../../../translator/methods/index.js';

test('redactText: connection string keys, SAS signatures and tokens, private keys', () => {
  expect(redactText('HostName=h;DeviceId=d;SharedAccessKey=abc123=')).toBe('HostName=h;DeviceId=d;SharedAccessKey=[redacted]');
  expect(redactText('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k+/=;')).toBe('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];');
  expect(redactText('GET /c?sv=1&sig=abc%2F&se=2')).toBe('GET /c?sv=1&sig=[redacted]&se=2');
  expect(redactText('Authorization: SharedAccessSignature sr=h%2Fdevices%2Fd&sig=x&se=1')).toBe('Authorization: SharedAccessSignature [redacted]');
  expect(redactText('-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END EC PRIVATE KEY-----')).toBe('-----BEGIN EC PRIVATE KEY-----[redacted]-----END EC PRIVATE KEY-----');
});

test('redactJson: secret-named fields, Secrets without data, last-applied annotations dropped', () => {
  const out = redactJson([
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}' } }, data: { p: 'c2VjcmV0' }, stringData: { p: 'secret' } },
    { runtime: { settings: { registryCredentials: { r: { username: 'u', password: 'p4ss' } } } }, env: { CS: { value: 'HostName=h;SharedAccessKey=k' } }, primaryKey: 'pk', keep: 'x' },
  ]);
  expect(out).toEqual([
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', annotations: {} } },
    { runtime: { settings: { registryCredentials: { r: { username: 'u', password: '[redacted]' } } } }, env: { CS: { value: 'HostName=h;SharedAccessKey=[redacted]' } }, primaryKey: '[redacted]', keep: 'x' },
  ]);
});

test('zip: entries and contents read back by unzip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zip-'));
  const file = join(dir, 'a.zip');
  writeFileSync(file, zip([{ name: 'a.txt', data: 'hello\n'.repeat(1000) }, { name: 'dir/b.json', data: Buffer.from('{}') }]));
  expect(execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' })).toBe('a.txt\ndir/b.json\n');
  expect(execFileSync('unzip', ['-p', file, 'a.txt'], { encoding: 'utf8' })).toBe('hello\n'.repeat(1000));
  execFileSync('unzip', ['-tq', file]);
});

test('a bundle says what could not be collected, redacted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  const file = join(dir, 'b.zip');
  writeFileSync(
    file,
    supportBundleZip({ generatedAt: new Date('2026-12-01T00:00:00Z'), deviceId: 'd', namespace: 'n', moduleLogs: { m: 'line SharedAccessKey=zzz\n' }, objects: [], events: [], problems: ['events: denied for token sig=abc'] }),
  );
  const readme = execFileSync('unzip', ['-p', file, 'README.txt'], { encoding: 'utf8' });
  expect(readme).toContain('- events: denied for token sig=[redacted]');
  expect(execFileSync('unzip', ['-p', file, 'logs/m.log'], { encoding: 'utf8' })).toBe('line SharedAccessKey=[redacted]\n');
  expect(execFileSync('unzip', ['-p', file, 'bridge/logs.txt'], { encoding: 'utf8' })).toContain('not available');
});
