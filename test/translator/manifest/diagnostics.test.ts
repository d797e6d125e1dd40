import { joinPointer, statusOf, error, warning } from '../../../translator/manifest/diagnostics.js';

describe('joinPointer', () => {
  it('escapes ~ and / in reference tokens', () => {
    expect(joinPointer('/modules', 'a/b~c', 0)).toBe('/modules/a~1b~0c/0');
  });
});

describe('statusOf', () => {
  it('is 200 with only warnings and prefers 412 over 417 over 400', () => {
    expect(statusOf([warning('', 'w', 'x')])).toBe(200);
    expect(statusOf([error('', 'e', 'x'), error('', 'e', 'y', 417)])).toBe(417);
    expect(statusOf([error('', 'e', 'x'), error('', 'e', 'y', 412), error('', 'e', 'z', 417)])).toBe(412);
  });
});
