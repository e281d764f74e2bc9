import { describe, expect, it } from '@jest/globals';
import { findJsonInputProblem, MAX_JSON_DEPTH } from './json-input.js';

const nestedArrays = (levels: number): unknown =>
  JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('findJsonInputProblem', () => {
  it('finds nothing in an ordinary body', () => {
    expect(
      findJsonInputProblem({ email: 'ada@example.com', roles: ['user'], n: 1, x: null }),
    ).toBeUndefined();
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(findJsonInputProblem(nestedArrays(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonInputProblem(nestedArrays(MAX_JSON_DEPTH + 1))).toMatchObject({
      kind: 'too_deep',
    });
  });

  it('walks a 100,000-level body without running out of stack', () => {
    expect(findJsonInputProblem(nestedArrays(100_000))).toMatchObject({ kind: 'too_deep' });
  });

  it('names the field holding a lone surrogate, in values and in keys', () => {
    expect(findJsonInputProblem({ a: { b: ['ok', 'x\ud800'] } })).toEqual({
      kind: 'ill_formed_text',
      field: 'a.b[1]',
    });
    expect(findJsonInputProblem({ a: { ['\udc00k']: 1 } })).toEqual({
      kind: 'ill_formed_text',
      field: 'a.\ufffdk',
    });
    expect(findJsonInputProblem({ email: '\ud800@x.test' })).toEqual({
      kind: 'ill_formed_text',
      field: 'email',
    });
  });

  it('accepts surrogate pairs, NUL and other well-formed text (the DTOs judge those)', () => {
    expect(findJsonInputProblem({ name: '\u{1F600} \u0000 \ufffe' })).toBeUndefined();
  });
});
