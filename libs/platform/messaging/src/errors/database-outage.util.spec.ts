import { databaseUnavailable, isDatabaseOutage } from './database-outage.util';

describe('isDatabaseOutage', () => {
  it('recognises a restart, a refused connection and a lost connection, also wrapped by TypeORM', () => {
    expect(isDatabaseOutage({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(true);
    expect(isDatabaseOutage({ code: '57P03', message: 'the database system is starting up' })).toBe(true);
    expect(isDatabaseOutage({ code: '08006' })).toBe(true);
    expect(isDatabaseOutage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseOutage(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseOutage({ name: 'QueryFailedError', message: 'x', driverError: { code: '57P01' } })).toBe(true);
    expect(isDatabaseOutage(new Error('wrapped', { cause: { code: '08001' } }))).toBe(true);
    const released = Object.assign(new Error('Query runner already released. Cannot run queries anymore.'), {
      name: 'QueryRunnerAlreadyReleasedError',
    });
    expect(isDatabaseOutage(released)).toBe(true);
  });

  it('leaves errors of the statement itself alone', () => {
    expect(isDatabaseOutage({ code: '23505', message: 'duplicate key value violates unique constraint' })).toBe(false);
    expect(isDatabaseOutage({ code: '57014', message: 'canceling statement due to statement timeout' })).toBe(false);
    expect(isDatabaseOutage(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseOutage(null)).toBe(false);
    expect(isDatabaseOutage('ECONNREFUSED')).toBe(false);
  });
});

describe('databaseUnavailable', () => {
  it('is a 503 kind with a retry hint', () => {
    expect(databaseUnavailable().toBody()).toEqual({
      kind: 'unavailable',
      code: 'DATABASE_UNAVAILABLE',
      message: expect.any(String),
      details: { retryAfterSeconds: 2 },
    });
  });
});
