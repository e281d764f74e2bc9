import { expect } from '@jest/globals';
import type { Response } from 'supertest';

export const PROBLEM_JSON = /^application\/problem\+json/;

/** Asserts an RFC 9457 problem answer with the given status and stable code. */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  expect(response.body.requestId).toBe(response.headers['x-request-id']);
}

/** A 401 problem that challenges the client to present a bearer token. */
export function expectUnauthorized(response: Response, code: string): void {
  expectProblem(response, 401, code);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
}
