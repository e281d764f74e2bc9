import { ValidationPipe, type ValidationError } from '@nestjs/common';
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
    fieldErrors,
  );
}

/** Whitelisting, unknown fields rejected, values transformed to their DTO types. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => requestValidationError(toFieldErrors(errors)),
  });
}
