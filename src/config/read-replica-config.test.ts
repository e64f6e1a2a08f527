import { ConfigError, loadConfig } from './config.js';

/** DATABASE_READ_URL and REPLICA_MAX_STALENESS_MS (issue #17): refused clearly when they cannot work, never echoing a password. */

const base = { DATA_DIR: '/tmp/unused' };
const primary = 'postgres://app:primary-pw@primary.example:5432/ehealth';
const standby = 'postgres://reader:standby-pw@standby.example:5433/ehealth';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('read replica configuration', () => {
  it('is off by default; the bound defaults to 1,000 ms', () => {
    const config = loadConfig({ ...base, DATABASE_URL: primary });
    expect(config.databaseReadUrl).toBeUndefined();
    expect(config.replicaMaxStalenessMs).toBe(1_000);
  });

  it('takes a standby URL and a bound', () => {
    const config = loadConfig({ ...base, DATABASE_URL: primary, DATABASE_READ_URL: standby, REPLICA_MAX_STALENESS_MS: '250' });
    expect(config.databaseReadUrl).toBe(standby);
    expect(config.replicaMaxStalenessMs).toBe(250);
  });

  it('refuses a standby without a primary (the embedded PGlite has none)', () => {
    expect(refusal({ DATABASE_READ_URL: standby }).message).toBe(
      'DATABASE_READ_URL needs DATABASE_URL: the standby serves lookups, the primary (DATABASE_URL) everything else',
    );
  });

  it('refuses what is not a PostgreSQL URL, without repeating it (it may hold a password)', () => {
    for (const bad of ['mysql://reader:standby-pw@standby.example/ehealth', 'standby-pw', 'postgres://', 'postgres:///ehealth']) {
      const error = refusal({ DATABASE_URL: primary, DATABASE_READ_URL: bad });
      expect(error.message).toBe('DATABASE_READ_URL must be postgres://[user[:password]@]host[:port]/database');
      expect(error.message).not.toContain('standby-pw');
    }
  });

  it('refuses a bound without a standby, and a bound out of range', () => {
    expect(refusal({ DATABASE_URL: primary, REPLICA_MAX_STALENESS_MS: '500' }).message).toBe('REPLICA_MAX_STALENESS_MS is set without DATABASE_READ_URL');
    expect(refusal({ DATABASE_URL: primary, DATABASE_READ_URL: standby, REPLICA_MAX_STALENESS_MS: '50' }).message).toBe(
      'REPLICA_MAX_STALENESS_MS must be between 100 and 600000',
    );
    expect(refusal({ DATABASE_URL: primary, DATABASE_READ_URL: standby, REPLICA_MAX_STALENESS_MS: '1s' }).message).toBe(
      'REPLICA_MAX_STALENESS_MS must be a whole number, got 1s',
    );
  });
});

describe('PostgreSQL prepared statements (DATABASE_PREPARED_STATEMENTS)', () => {
  it('are on by default, can be turned off for a pooler that cannot carry them, and refuse a value that is not a boolean', () => {
    expect(loadConfig({ ...base, DATABASE_URL: primary }).databasePreparedStatements).toBe(true);
    expect(loadConfig({ ...base, DATABASE_URL: primary, DATABASE_PREPARED_STATEMENTS: 'false' }).databasePreparedStatements).toBe(false);
    expect(refusal({ DATABASE_URL: primary, DATABASE_PREPARED_STATEMENTS: 'sometimes' }).message).toMatch(/DATABASE_PREPARED_STATEMENTS must be true or false/);
  });
});
