/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Two workers on the 2-core machines (jest's default of cores - 1 runs everything in one
  // process, twice as long); a run that is over ends even if a test left a handle open.
  maxWorkers: 2,
  forceExit: true,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
