import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Boundaries of translator/ (docs/architecture.md). Each folder is entered only through its
 * index.ts, and may use only the folders listed here (its lower layers). `cli` is the
 * composition root and may use all of them. `kinds` is the kind registry's folder.
 */
const LAYERS = {
  shared: [],
  ops: ['shared'],
  manifest: ['shared'],
  kinds: ['shared'],
  kube: ['shared', 'kinds'],
  translate: ['shared', 'manifest', 'kinds'],
  reconcile: ['shared', 'ops', 'manifest', 'translate', 'kinds', 'kube'],
  status: ['shared', 'manifest', 'translate', 'kinds', 'reconcile'],
  twin: ['shared', 'ops'],
  identities: ['shared', 'manifest', 'translate'],
  methods: ['shared', 'ops', 'manifest', 'translate', 'kinds', 'kube', 'reconcile', 'status'],
  sources: ['shared', 'ops', 'manifest', 'translate', 'status', 'twin'],
  bridge: ['shared', 'ops', 'manifest', 'translate', 'kinds', 'kube', 'reconcile', 'status', 'sources', 'identities'],
  leader: ['shared', 'ops', 'kube', 'reconcile'],
  cli: ['shared', 'ops', 'manifest', 'translate', 'kinds', 'kube', 'reconcile', 'status', 'twin', 'methods', 'sources', 'bridge', 'identities', 'leader'],
};
const FOLDERS = Object.keys(LAYERS);

const THROUGH_INDEX = 'enter a translator/ folder only through its index.ts (export what you need there)';
const NO_SANDBOX = "translator/ does not import sandbox/: only the CLI's sandbox wiring (translator/cli/sandbox.ts) does, and the CLI loads it lazily with import()";

/** no-restricted-imports patterns for a file in translator/<folder>/. */
function translatorPatterns(folder) {
  const forbidden = FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f));
  const patterns = [
    { regex: '^\\.\\./[^/.]+/(?!index\\.js$)', message: THROUGH_INDEX },
    // Type-only imports are erased: the CLI may name the emulators' types.
    { regex: '(^|/)sandbox/', message: NO_SANDBOX, allowTypeImports: folder === 'cli' },
  ];
  if (forbidden.length) {
    patterns.push({
      regex: `^\\.\\./(${forbidden.join('|')})/`,
      message: `translator/${folder} may use only ${LAYERS[folder].join(', ') || 'no other folder'} (a lower layer); see docs/architecture.md`,
    });
  }
  if (folder === 'cli') patterns.push({ regex: '^\\./sandbox\\.js$', allowTypeImports: true, message: "load the sandbox wiring lazily: await import('./sandbox.js')" });
  return patterns;
}

/** Outside translator/ (tests, benches, scripts, the emulators): only through the index. */
const outsidePattern = (except) => ({
  regex: `(^|/)translator/${except ? `(?!${except}/)` : ''}[^/]+/(?!index\\.js$)`,
  message: `${THROUGH_INDEX}; a folder's own tests (test/translator/<folder>/) may import its internals`,
});

const restricted = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', 'dist/**', '.sandbox/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...FOLDERS.map((folder) => ({ files: [`translator/${folder}/**/*.ts`], rules: restricted(translatorPatterns(folder)) })),
  // The one file that loads the emulators (itself loaded lazily).
  { files: ['translator/cli/sandbox.ts'], rules: restricted(translatorPatterns('cli').filter((p) => !p.regex.includes('sandbox'))) },
  {
    files: ['translator/**/*.ts'],
    ignores: ['translator/cli/sandbox.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: 'ImportExpression[source.value=/(^|\\/)sandbox\\//]', message: NO_SANDBOX }] },
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'sandbox/**/*.ts'], rules: restricted([outsidePattern()]) },
  ...FOLDERS.map((folder) => ({ files: [`test/translator/${folder}/**/*.ts`], rules: restricted([outsidePattern(folder)]) })),
);
