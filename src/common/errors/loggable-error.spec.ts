import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { loggableError } from './loggable-error.js';

describe('loggableError', () => {
  it('keeps type, message, SQLSTATE and stack of a query failure, and drops its SQL and parameters', () => {
    const driverError = Object.assign(new Error('new row violates check constraint "c"'), {
      code: '23514',
      detail: 'Failing row contains (ada@example.com, $argon2id$v=19$m=19456...).',
    });
    const error = new QueryFailedError(
      'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)',
      ['ada@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
      driverError,
    );

    const logged = loggableError(error);

    expect(logged).toEqual({
      type: 'QueryFailedError',
      message: 'new row violates check constraint "c"',
      code: '23514',
      stack: expect.stringContaining('QueryFailedError'),
    });
    expect(JSON.stringify(logged)).not.toMatch(/argon2|ada@example\.com|INSERT/);
  });

  it('keeps the code of a plain error and describes a thrown non-error', () => {
    expect(loggableError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toEqual({
      type: 'Error',
      message: 'refused',
      code: 'ECONNREFUSED',
      stack: expect.any(String),
    });
    expect(loggableError('boom')).toEqual({ type: 'string', message: 'boom' });
  });
});
