import base from './jest.config.js';

/** The officer console in a real Chromium (npm run test:browser; .ci/run installs Debian's chromium). */
export default {
  ...base,
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
