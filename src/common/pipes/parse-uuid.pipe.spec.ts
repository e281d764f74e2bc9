import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../errors/domain-error.js';
import { ParseUuidPipe } from './parse-uuid.pipe.js';

const pipe = new ParseUuidPipe();
const userIdParam = { type: 'param', data: 'userId' } as const;

function refusal(value: string, metadata: { type: 'param'; data?: string }): unknown {
  try {
    pipe.transform(value, metadata);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${value} to be refused`);
}

describe('ParseUuidPipe', () => {
  it('passes a lower-case UUID through', () => {
    const id = '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11';
    expect(pipe.transform(id, userIdParam)).toBe(id);
  });

  it('lower-cases an upper-case UUID', () => {
    expect(pipe.transform('5F0C6C2E-8F61-4C2B-9D0E-0F4B7B1F8A11', userIdParam)).toBe(
      '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11',
    );
  });

  it.each([
    'not-a-uuid',
    '42',
    '',
    '5f0c6c2e8f614c2b9d0e0f4b7b1f8a11',
    '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11 ',
    '5f0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11x',
    'gf0c6c2e-8f61-4c2b-9d0e-0f4b7b1f8a11',
  ])('refuses %p with VALIDATION_FAILED naming the parameter', (value) => {
    const error = refusal(value, userIdParam);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'VALIDATION_FAILED',
      kind: 'invalid',
      fieldErrors: [{ field: 'userId', message: 'must be a UUID' }],
    });
  });

  it('names the field id when the parameter has no name', () => {
    expect(refusal('nope', { type: 'param' })).toMatchObject({
      fieldErrors: [{ field: 'id', message: 'must be a UUID' }],
    });
  });
});
