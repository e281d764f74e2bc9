import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Refuses what PostgreSQL cannot store faithfully: lone UTF-16 surrogates (they would be stored
 * as U+FFFD) and, unless allowed, control characters (NUL cannot be stored at all).
 */
export function IsStorableText(
  options?: { allowControl?: boolean },
  validationOptions?: ValidationOptions,
) {
  return ValidateBy(
    {
      name: 'isStorableText',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          value.isWellFormed() &&
          (options?.allowControl === true || !/\p{Cc}/u.test(value)),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be well-formed Unicode text without control characters`,
      },
    },
    validationOptions,
  );
}
