import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength, ValidateBy } from 'class-validator';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordPolicyViolation,
} from './password-policy.js';
import { IsStorableText } from '../validation/text.validators.js';

/** A password being set: the password policy (length, not a common one), never truncated. */
export function NewPasswordField() {
  return applyDecorators(
    ApiProperty({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      format: 'password',
      example: 'correct horse battery staple',
    }),
    IsString(),
    IsStorableText({ allowControl: true }),
    ValidateBy({
      name: 'passwordPolicy',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && passwordPolicyViolation(value) === undefined,
        defaultMessage: (args) =>
          passwordPolicyViolation(String(args?.value), args?.property) ??
          `${args?.property ?? 'password'} must be a string`,
      },
    }),
  );
}

/** A password being checked: any string up to the maximum (the policy is not revealed here). */
export function PresentedPasswordField() {
  return applyDecorators(
    ApiProperty({
      maxLength: PASSWORD_MAX_LENGTH,
      format: 'password',
      example: 'correct horse battery staple',
    }),
    IsString(),
    MinLength(1),
    MaxLength(PASSWORD_MAX_LENGTH),
  );
}
