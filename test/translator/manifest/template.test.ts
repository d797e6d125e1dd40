import { hasPlaceholders, parseModulePlaceholder, placeholdersIn, resolveTemplate, type TemplateInputs } from '../../../translator/manifest/template.js';

const inputs = (env: Record<string, string>): TemplateInputs => ({
  env,
  moduleImage: (name, platform) => (name === 'web' ? { image: `reg/web:1-${platform ?? 'amd64'}` } : { problem: `no module ${name}` }),
});

describe('resolveTemplate', () => {
  it('replaces variables and module images in values, keeping other text', () => {
    const r = resolveTemplate({ a: 'x-${HOST}-y', b: ['${MODULES.web}', '${MODULES.web.arm64v8}'], c: 5, d: '$upstream' }, inputs({ HOST: 'h' }));
    expect(r.value).toEqual({ a: 'x-h-y', b: ['reg/web:1-amd64', 'reg/web:1-arm64v8'], c: 5, d: '$upstream' });
    expect(r.diagnostics).toEqual([]);
  });

  it('replaces placeholders in keys and maps the new key back to the template key', () => {
    const r = resolveTemplate({ creds: { '${GROUP}': { password: 'p' } } }, inputs({ GROUP: 'acr' }));
    expect(r.value).toEqual({ creds: { acr: { password: 'p' } } });
    expect(r.renames.map('/creds/acr/password').pointer).toBe('/creds/${GROUP}/password');
  });

  it('reports each unresolved placeholder with its pointer', () => {
    const r = resolveTemplate({ m: { image: '${MODULES.api}' }, list: ['ok', 'a${MISSING}b'] }, inputs({}));
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ pointer: '/m/image', code: 400, rule: 'template-placeholder', message: 'unresolved placeholder ${MODULES.api}: no module api' }),
      expect.objectContaining({ pointer: '/list/1', message: 'unresolved placeholder ${MISSING}: MISSING is not set in the environment or .env' }),
    ]);
    expect([...r.unresolved]).toEqual(['/m/image', '/list/1']);
  });

  it('rejects placeholders it does not know', () => {
    const r = resolveTemplate({ a: '${MODULEDIR<../x>}' }, inputs({}));
    expect(r.diagnostics[0]!.message).toContain('not a supported placeholder');
  });

  it('records secrets and the template text of substituted values', () => {
    const r = resolveTemplate({ password: '${ACR_PW}', user: '${ACR_USER}', note: '${TOKEN_VALUE}' }, inputs({ ACR_PW: 'pw1', ACR_USER: 'bob', TOKEN_VALUE: 'tok' }));
    expect([...r.secrets].sort()).toEqual(['pw1', 'tok']);
    expect(r.substituted.get('bob')).toBe('${ACR_USER}');
  });

  it('does not mutate its input and copes with deep nesting', () => {
    const input = { a: '${X}' };
    resolveTemplate(input, inputs({ X: 'y' }));
    expect(input.a).toBe('${X}');
    let deep: unknown = '${X}';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let out = resolveTemplate(deep, inputs({ X: 'y' })).value;
    for (let i = 0; i < 100_000; i++) out = (out as unknown[])[0];
    expect(out).toBe('y');
  });
});

describe('placeholder helpers', () => {
  it('finds placeholders', () => {
    expect(placeholdersIn('${A}/${MODULES.b.arm32v7}')).toEqual(['A', 'MODULES.b.arm32v7']);
    expect(hasPlaceholders({ k: ['x', { '${K}': 1 }] })).toBe(true);
    expect(hasPlaceholders({ k: '$upstream' })).toBe(false);
  });

  it('parses module placeholders, platforms may hold dots', () => {
    expect(parseModulePlaceholder('MODULES.web')).toEqual({ name: 'web' });
    expect(parseModulePlaceholder('MODULES.web.amd64.debug')).toEqual({ name: 'web', platform: 'amd64.debug' });
    expect(parseModulePlaceholder('VAR')).toBeUndefined();
    expect(parseModulePlaceholder('MODULES.')).toBeUndefined();
  });
});

describe('upper-case $VAR placeholders (as the solution tools write registry credentials)', () => {
  const inputs = {
    env: { CONTAINER_REGISTRY_USERNAME: 'contoso', CONTAINER_REGISTRY_PASSWORD: 's3cret-value' },
    moduleImage: () => ({ problem: 'no modules' }),
  };

  it('resolves $NAME from the environment and leaves IoT Edge syntax alone', () => {
    const doc = {
      registryCredentials: { acr: { username: '$CONTAINER_REGISTRY_USERNAME', password: '$CONTAINER_REGISTRY_PASSWORD' } },
      routes: { up: 'FROM /messages/* INTO $upstream' },
      $edgeAgent: {},
    };
    const r = resolveTemplate(doc, inputs);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({
      registryCredentials: { acr: { username: 'contoso', password: 's3cret-value' } },
      routes: { up: 'FROM /messages/* INTO $upstream' },
      $edgeAgent: {},
    });
    expect(r.secrets.has('s3cret-value')).toBe(true);
  });

  it('reports an unset $NAME at its pointer', () => {
    const r = resolveTemplate({ a: { address: '$CONTAINER_REGISTRY_ADDRESS' } }, inputs);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ pointer: '/a/address', code: 400, rule: 'template-placeholder', message: expect.stringContaining('$CONTAINER_REGISTRY_ADDRESS') }),
    ]);
  });
});
