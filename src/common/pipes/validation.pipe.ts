import {
  type ArgumentMetadata,
  HttpException,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
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

/** Own reserved keys anywhere in a parsed JSON value, as field paths (iterative: no depth limit). */
export function findReservedKeys(value: unknown): string[] {
  const found: string[] = [];
  const stack: Array<{ value: unknown; key: string; field: string }> = [
    { value, key: '', field: '' },
  ];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    if (RESERVED_KEYS.includes(entry.key)) found.push(entry.field);
    const current = entry.value;
    if (typeof current !== 'object' || current === null) continue;
    const keys = Object.keys(current);
    for (let index = keys.length - 1; index >= 0; index -= 1) {
      const key = keys[index];
      const field = Array.isArray(current)
        ? `${entry.field}[${key}]`
        : entry.field
          ? `${entry.field}.${key}`
          : key;
      stack.push({ value: (current as Record<string, unknown>)[key], key, field });
    }
  }
  return found;
}

const isOurRefusal = (error: unknown) =>
  error instanceof DomainError || error instanceof HttpException;

class StrictValidationPipe extends ValidationPipe {
  /** The same validation, skipping absent fields: validates one field at a time. */
  private readonly fieldProbe: ValidationPipe;

  constructor(options: ValidationPipeOptions) {
    super(options);
    this.fieldProbe = new ValidationPipe({ ...options, skipMissingProperties: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const reserved = findReservedKeys(value);
      if (reserved.length > 0) {
        throw requestValidationError(
          reserved.map((field) => ({ field, message: `property ${field} should not exist` })),
        );
      }
    }
    try {
      return (await super.transform(value, metadata)) as unknown;
    } catch (error) {
      if (isOurRefusal(error)) throw error;
      // A validator or transformer threw (class-validator's isEmail calls encodeURI, which throws
      // on a lone surrogate): the input is what is wrong, so the client gets a 400 naming it.
      const field = await this.throwingField(value, metadata);
      throw requestValidationError([{ field, message: `${field} is not a valid value` }]);
    }
  }

  /** The top-level field whose validation throws, found by validating each field alone. */
  private async throwingField(value: unknown, metadata: ArgumentMetadata): Promise<string> {
    const whole = metadata.data ?? metadata.type;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return whole;
    for (const [field, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      try {
        await this.fieldProbe.transform({ [field]: fieldValue }, metadata);
      } catch (error) {
        if (!isOurRefusal(error)) return field;
      }
    }
    return whole;
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
