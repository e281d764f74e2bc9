import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { buildUser } from '../factories/user.factory.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { useTestApp } from '../support/test-app.js';

describe('log lines', () => {
  const logs = new CapturedLogs();
  const service = useTestApp({ LOG_LEVEL: 'debug' }, { logs });

  it('name a failed insert by message and code, never by its SQL parameters (hash, password, email)', async () => {
    // This file's own database refuses these addresses, so the INSERT carrying the hash fails with
    // an error the service does not expect (a CHECK violation: 500).
    await service.environment.database.query(
      `ALTER TABLE users ADD CONSTRAINT users_refused_by_test CHECK (email NOT LIKE 'refused-%')`,
    );
    const input = buildUser({ email: `refused-${randomBytes(4).toString('hex')}@example.com` });

    const response = await request(service.server).post('/api/v1/auth/register').send(input);

    expect(response.status).toBe(500);
    const linesHolding = (secret: string) =>
      logs.text.split('\n').filter((line) => line.includes(secret));
    expect(linesHolding('$argon2')).toEqual([]);
    expect(linesHolding(input.password)).toEqual([]);
    expect(linesHolding(input.email)).toEqual([]);
    const unexpected = logs
      .lines()
      .find((line) => line.msg === 'unhandled error while serving a request');
    expect(unexpected?.error).toEqual({
      type: 'QueryFailedError',
      message: expect.stringContaining('users_refused_by_test'),
      code: '23514',
      stack: expect.stringContaining('QueryFailedError'),
    });
  });
});
