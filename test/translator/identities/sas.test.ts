/** Device-scoped SAS tokens (pure). The connection-string parser is tested in test/translator/shared/. */
import { createHmac } from 'node:crypto';
import { deviceSasToken } from '../../../translator/identities/index.js';

const KEY = Buffer.alloc(32, 3).toString('base64');

test('device SAS token: sr is the lowercased, URL-encoded device resource; HMAC-SHA256 of sr and expiry; no skn', () => {
  const token = deviceSasToken('Hub.azure-devices.net', 'Dev-1', KEY, 1_900_000_000);
  const sr = encodeURIComponent('hub.azure-devices.net/devices/dev-1');
  const sig = createHmac('sha256', Buffer.from(KEY, 'base64')).update(`${sr}\n1900000000`).digest('base64');
  expect(token).toBe(`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=1900000000`);
});
