/** Jest runs the TypeScript sources as ES modules (node --experimental-vm-modules, see package.json). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // test/replica/ needs a streaming standby: npm run test:replica (jest.replica.config.js); test/browser/ needs
  // Chromium: npm run test:browser (jest.browser.config.js). Both run in .ci/run.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/interop/', '<rootDir>/test/replica/', '<rootDir>/test/browser/'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
