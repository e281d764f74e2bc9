import { describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DomainError, type DomainErrorKind } from './domain-error.js';
import { problemType, toProblem } from './problem-details.js';

const context = { path: '/api/v1/users/42', requestId: 'req-7f3a' };

function databaseError(code: string, message = 'database error', constraint?: string) {
  return new QueryFailedError(
    'SELECT 1',
    [],
    Object.assign(new Error(message), { code, constraint }),
  );
}

function connectionError(code: string, message = `connect ${code} 127.0.0.1:5432`) {
  return Object.assign(new Error(message), { code });
}

describe('problemType', () => {
  it('turns the code into a kebab-case problem URN', () => {
    expect(problemType('HTTP_HOST_NOT_ALLOWED')).toBe('urn:problem:http-host-not-allowed');
  });
});

describe('toProblem', () => {
  describe('domain errors', () => {
    it.each<[DomainErrorKind, number, string]>([
      ['invalid', 400, 'Bad Request'],
      ['unauthorized', 401, 'Unauthorized'],
      ['forbidden', 403, 'Forbidden'],
      ['not_found', 404, 'Not Found'],
      ['conflict', 409, 'Conflict'],
      ['precondition_failed', 412, 'Precondition Failed'],
      ['unsupported_media_type', 415, 'Unsupported Media Type'],
      ['rate_limited', 429, 'Too Many Requests'],
      ['unavailable', 503, 'Service Unavailable'],
    ])('answers a %s error with %i %s', (kind, status, title) => {
      const problem = toProblem(
        new DomainError('USERS_SOMETHING', kind, 'It went wrong.'),
        context,
      );
      expect(problem.body).toEqual({
        type: 'urn:problem:users-something',
        title,
        status,
        detail: 'It went wrong.',
        instance: '/api/v1/users/42',
        code: 'USERS_SOMETHING',
        requestId: 'req-7f3a',
      });
      expect(problem.isUnexpected).toBe(false);
    });

    it('challenges a 401 with WWW-Authenticate', () => {
      const problem = toProblem(
        new DomainError('AUTH_INVALID_TOKEN', 'unauthorized', 'The token is invalid.'),
        context,
      );
      expect(problem.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
    });

    it.each<DomainErrorKind>(['invalid', 'forbidden', 'not_found'])(
      'sends no WWW-Authenticate with a %s error',
      (kind) => {
        const problem = toProblem(new DomainError('X', kind, 'No.'), context);
        expect(problem.headers).not.toHaveProperty('WWW-Authenticate');
      },
    );

    it('carries field errors as errors', () => {
      const fieldErrors = [
        { field: 'email', message: 'email must be an email' },
        { field: 'password', message: 'password is too short' },
      ];
      const problem = toProblem(
        new DomainError('VALIDATION_FAILED', 'invalid', 'See errors.', { fieldErrors }),
        context,
      );
      expect(problem.body.errors).toEqual(fieldErrors);
    });

    it('omits errors when there are no field errors', () => {
      const problem = toProblem(
        new DomainError('VALIDATION_FAILED', 'invalid', 'No.', { fieldErrors: [] }),
        context,
      );
      expect(problem.body).not.toHaveProperty('errors');
    });

    it.each([
      [30, '30'],
      [2.1, '3'],
      [0.2, '1'],
      [0, '1'],
    ])('sends retryAfterS %p as Retry-After %p', (retryAfterS, header) => {
      const problem = toProblem(
        new DomainError('AUTH_RATE_LIMITED', 'rate_limited', 'Slow down.', { retryAfterS }),
        context,
      );
      expect(problem.headers['Retry-After']).toBe(header);
    });

    it('sends no Retry-After without retryAfterS', () => {
      const problem = toProblem(new DomainError('X', 'rate_limited', 'Slow down.'), context);
      expect(problem.headers).not.toHaveProperty('Retry-After');
    });

    it('merges extensions into the body', () => {
      const problem = toProblem(
        new DomainError('HEALTH_NOT_READY', 'unavailable', 'Not ready.', {
          extensions: { checks: { database: 'down' } },
        }),
        context,
      );
      expect(problem.body.checks).toEqual({ database: 'down' });
      expect(problem.body.status).toBe(503);
    });

    it('never lets extensions override the standard members', () => {
      const problem = toProblem(
        new DomainError('HEALTH_NOT_READY', 'unavailable', 'Not ready.', {
          extensions: {
            type: 'https://evil.test',
            title: 'OK',
            status: 200,
            detail: 'fine',
            instance: '/elsewhere',
            code: 'OK',
            requestId: 'forged',
          },
        }),
        context,
      );
      expect(problem.body).toEqual({
        type: 'urn:problem:health-not-ready',
        title: 'Service Unavailable',
        status: 503,
        detail: 'Not ready.',
        instance: '/api/v1/users/42',
        code: 'HEALTH_NOT_READY',
        requestId: 'req-7f3a',
      });
    });
  });

  describe('Nest HTTP exceptions', () => {
    it('answers a body-parser JSON syntax error with 400 MALFORMED_JSON', () => {
      const cause = Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), {
        type: 'entity.parse.failed',
        status: 400,
      });
      const problem = toProblem(new BadRequestException(cause.message, { cause }), context);
      expect(problem.body).toMatchObject({
        status: 400,
        code: 'MALFORMED_JSON',
        type: 'urn:problem:malformed-json',
        detail: 'The request body is not valid JSON: Unexpected token } in JSON at position 9',
      });
      expect(problem.isUnexpected).toBe(false);
    });

    it('answers a body-parser size error with 413 PAYLOAD_TOO_LARGE', () => {
      const exception = new HttpException('request entity too large', 413, {
        cause: { type: 'entity.too.large', message: 'request entity too large' },
      });
      const problem = toProblem(exception, context);
      expect(problem.body).toMatchObject({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        detail: 'request entity too large',
      });
    });

    it('answers an unmatched route with ROUTE_NOT_FOUND', () => {
      const problem = toProblem(new NotFoundException('Cannot GET /api/v1/nope'), context);
      expect(problem.body).toMatchObject({
        status: 404,
        code: 'ROUTE_NOT_FOUND',
        type: 'urn:problem:route-not-found',
        detail: 'Cannot GET /api/v1/nope',
      });
    });

    it('uses the message of an object response as the detail', () => {
      const problem = toProblem(
        new ForbiddenException({ message: 'Admins only.', extra: 'ignored' }),
        context,
      );
      expect(problem.body).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
        detail: 'Admins only.',
      });
      expect(problem.body).not.toHaveProperty('extra');
    });

    it('challenges an UnauthorizedException with WWW-Authenticate', () => {
      const problem = toProblem(new UnauthorizedException(), context);
      expect(problem.body.code).toBe('UNAUTHORIZED');
      expect(problem.headers['WWW-Authenticate']).toBe('Bearer realm="api"');
    });

    it('names an unmapped status HTTP_<status>', () => {
      const problem = toProblem(new HttpException("I'm a teapot", 418), context);
      expect(problem.body).toMatchObject({ status: 418, code: 'HTTP_418' });
    });

    it('hides the message of a 500 exception and flags it as unexpected', () => {
      const problem = toProblem(
        new InternalServerErrorException('pool exhausted at db-primary.internal'),
        context,
      );
      expect(problem.body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
      expect(problem.body.detail).not.toContain('db-primary');
      expect(problem.isUnexpected).toBe(true);
    });

    it('answers a 503 exception without flagging it as unexpected', () => {
      const problem = toProblem(new ServiceUnavailableException('draining'), context);
      expect(problem.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(problem.isUnexpected).toBe(false);
    });
  });

  describe('unknown errors', () => {
    it('answers 500 INTERNAL_ERROR without the error message and flags it as unexpected', () => {
      const problem = toProblem(
        new TypeError("Cannot read properties of undefined (reading 'passwordHash')"),
        context,
      );
      expect(problem.body).toMatchObject({
        status: 500,
        code: 'INTERNAL_ERROR',
        type: 'urn:problem:internal-error',
        title: 'Internal Server Error',
      });
      expect(problem.body.detail).not.toContain('passwordHash');
      expect(problem.headers).toEqual({});
      expect(problem.isUnexpected).toBe(true);
    });

    it('answers a thrown non-error with 500 INTERNAL_ERROR', () => {
      const problem = toProblem('boom', context);
      expect(problem.body.code).toBe('INTERNAL_ERROR');
      expect(problem.isUnexpected).toBe(true);
    });

    it('takes instance and requestId from the context', () => {
      const problem = toProblem(new Error('x'), { path: '/metrics', requestId: 'abc' });
      expect(problem.body.instance).toBe('/metrics');
      expect(problem.body.requestId).toBe('abc');
    });

    it('carries the trace id when the context has one, and no traceId field otherwise', () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const traced = toProblem(new DomainError('X', 'conflict', 'No.'), { ...context, traceId });
      expect(traced.body.traceId).toBe(traceId);
      expect(toProblem(new DomainError('X', 'conflict', 'No.'), context).body).not.toHaveProperty(
        'traceId',
      );
    });

    it('keeps the trace id over an extension of the same name', () => {
      const problem = toProblem(
        new DomainError('X', 'conflict', 'No.', { extensions: { traceId: 'forged' } }),
        { ...context, traceId: 'real' },
      );
      expect(problem.body.traceId).toBe('real');
    });
  });

  describe('database errors', () => {
    it('answers a unique violation with 409 CONFLICT without naming the constraint', () => {
      const problem = toProblem(
        databaseError(
          '23505',
          'duplicate key value violates unique constraint "UQ_users_email"',
          'UQ_users_email',
        ),
        context,
      );
      expect(problem.body).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(problem.body.detail).not.toContain('UQ_users_email');
      expect(problem.isUnexpected).toBe(false);
    });

    it('answers a foreign-key violation with 409 CONFLICT', () => {
      const problem = toProblem(databaseError('23503'), context);
      expect(problem.body).toMatchObject({ status: 409, code: 'CONFLICT' });
    });

    it.each<[string, Error]>([
      ['a refused connection', connectionError('ECONNREFUSED')],
      ['a dropped connection', new Error('Connection terminated unexpectedly')],
      ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
      ['a server shutdown (57P01)', databaseError('57P01', 'terminating connection')],
      ['a connection failure (08006)', databaseError('08006', 'connection failure')],
      ['a statement timeout (57014)', databaseError('57014', 'canceling statement')],
      ['too many connections (53300)', databaseError('53300', 'too many clients')],
    ])('answers %s with 503 DATABASE_UNAVAILABLE and Retry-After', (_case, error) => {
      const problem = toProblem(error, context);
      expect(problem.body).toMatchObject({
        status: 503,
        code: 'DATABASE_UNAVAILABLE',
        type: 'urn:problem:database-unavailable',
      });
      expect(problem.headers).toEqual({ 'Retry-After': '5' });
      expect(problem.isUnexpected).toBe(false);
    });

    it.each(['40001', '40P01'])('answers %s with 503 DATABASE_BUSY and Retry-After 1', (code) => {
      const problem = toProblem(databaseError(code), context);
      expect(problem.body).toMatchObject({ status: 503, code: 'DATABASE_BUSY' });
      expect(problem.headers).toEqual({ 'Retry-After': '1' });
      expect(problem.isUnexpected).toBe(false);
    });

    it('answers an unclassified query failure with 500 and hides the SQL error', () => {
      const problem = toProblem(
        databaseError('42P01', 'relation "secret_table" does not exist'),
        context,
      );
      expect(problem.body).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
      expect(problem.body.detail).not.toContain('secret_table');
      expect(problem.isUnexpected).toBe(true);
    });
  });
});
