import { isDatabaseUnavailable } from '../../src/shared/errors';

describe('telling "the database is unavailable" from a bug', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  test('when the database refuses, drops or does not answer a connection or a query, then it is unavailable', () => {
    for (const err of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout'),
      new Error('Query read timeout'),
      withCode('57014', 'canceling statement due to statement timeout'),
      withCode('57P03', 'the database system is starting up'),
      withCode('53300', 'sorry, too many clients already'),
      withCode('P2024', 'Timed out fetching a new connection from the connection pool'),
      // Prisma's wrappers keep the driver's error as cause or in meta.
      Object.assign(new Error('Invalid `prisma.subscriber.findUnique()` invocation'), { cause: new Error('Query read timeout') }),
      Object.assign(new Error('wrapped'), { meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } } }),
    ]) {
      expect({ message: err.message, unavailable: isDatabaseUnavailable(err) }).toEqual({ message: err.message, unavailable: true });
    }
  });

  test('when the error is a bug or bad data, then it is not "unavailable"', () => {
    for (const err of [
      new Error('Cannot read properties of undefined'),
      withCode('23505', 'duplicate key value violates unique constraint'),
      withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
      withCode('P2002', 'Unique constraint failed'),
      undefined,
      'a string',
    ]) {
      expect(isDatabaseUnavailable(err)).toBe(false);
    }
  });
});
