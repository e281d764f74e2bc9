import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DomainError, type FieldError } from '../errors/domain-error.js';

/** Flattens class-validator's tree into `{field: 'a.b[0].c', message}` entries. */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

export function requestValidationError(fieldErrors: FieldError[]): DomainError {
  return new DomainError(
    'VALIDATION_FAILED',
    'invalid',
    'The request has invalid or unknown fields; see errors.',
    { fieldErrors },
  );
}

// class-transformer silently skips these keys, so `forbidNonWhitelisted` never sees them.
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Own reserved keys anywhere in a parsed JSON value, as field paths. */
export function findReservedKeys(value: unknown, parent = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.keys(value).flatMap((key) => {
    const field = Array.isArray(value) ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
    const nested = findReservedKeys((value as Record<string, unknown>)[key], field);
    return RESERVED_KEYS.includes(key) ? [field, ...nested] : nested;
  });
}

class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const reserved = findReservedKeys(value);
      if (reserved.length > 0) {
        throw requestValidationError(
          reserved.map((field) => ({ field, message: `property ${field} should not exist` })),
        );
      }
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/** Whitelisting, unknown fields rejected, values transformed to their DTO types. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => requestValidationError(toFieldErrors(errors)),
  });
}
