import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { classifyDatabaseError, isUniqueViolation } from './database-errors.js';

function driverError(code: string, message = 'database error', constraint?: string) {
  return Object.assign(new Error(message), { code, constraint });
}

function queryFailed(code: string, message?: string, constraint?: string) {
  return new QueryFailedError('INSERT INTO users', [], driverError(code, message, constraint));
}

describe('classifyDatabaseError', () => {
  it.each([
    ['23505', 'unique_violation'],
    ['23503', 'conflict'],
    ['40001', 'retryable'],
    ['40P01', 'retryable'],
    ['57014', 'unavailable'],
    ['53300', 'unavailable'],
    ['08006', 'unavailable'],
    ['08001', 'unavailable'],
    ['57P01', 'unavailable'],
    ['57P03', 'unavailable'],
  ])('classifies a query failing with SQLSTATE %s as %s', (code, failure) => {
    expect(classifyDatabaseError(queryFailed(code))).toBe(failure);
  });

  it('reads the SQLSTATE of an unwrapped driver error', () => {
    expect(classifyDatabaseError(driverError('23505'))).toBe('unique_violation');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'])(
    'classifies the socket error %s as unavailable',
    (code) => {
      expect(classifyDatabaseError(driverError(code))).toBe('unavailable');
    },
  );

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Cannot use a pool after calling end on the pool',
  ])('classifies the pool error %p as unavailable', (message) => {
    expect(classifyDatabaseError(new Error(message))).toBe('unavailable');
  });

  it.each<[string, unknown]>([
    ['a syntax error', queryFailed('42601', 'syntax error at or near "SELEC"')],
    ['a file-system error', driverError('ENOENT', 'no such file')],
    ['a plain error', new TypeError('x is not a function')],
    ['a non-error carrying a SQLSTATE', { code: '23505' }],
    ['null', null],
  ])('leaves %s unclassified', (_case, error) => {
    expect(classifyDatabaseError(error)).toBeUndefined();
  });
});

describe('isUniqueViolation', () => {
  const duplicateEmail = queryFailed(
    '23505',
    'duplicate key value violates unique constraint "UQ_users_email"',
    'UQ_users_email',
  );

  it('recognises any unique violation when no constraint is named', () => {
    expect(isUniqueViolation(duplicateEmail)).toBe(true);
  });

  it('recognises a violation of the named constraint', () => {
    expect(isUniqueViolation(duplicateEmail, 'UQ_users_email')).toBe(true);
  });

  it('rejects a violation of another constraint', () => {
    expect(isUniqueViolation(duplicateEmail, 'UQ_sessions_token')).toBe(false);
  });

  it('checks the constraint of an unwrapped driver error', () => {
    const error = driverError('23505', 'duplicate', 'UQ_users_email');
    expect(isUniqueViolation(error, 'UQ_users_email')).toBe(true);
    expect(isUniqueViolation(error, 'UQ_other')).toBe(false);
  });

  it('rejects other database errors', () => {
    expect(isUniqueViolation(queryFailed('23503', 'fk', 'UQ_users_email'))).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
