/**
 * The replica suite (npm run test:replica): test/replica/ against a real streaming standby (TEST_DATABASE_READ_URL, see
 * scripts/replica-cluster.sh). Not part of `npm test`; one file at a time, since pausing replay pauses the whole standby.
 */
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/replica/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  maxWorkers: 1,
};
