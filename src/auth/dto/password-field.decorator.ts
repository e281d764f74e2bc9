import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { IsStorableText } from '../../common/validation/text.validators.js';
import {
  isCommonPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '../passwords/password-policy.js';

/** A password being set: 12..128 characters, never truncated, not a common one. */
export function NewPasswordField() {
  return applyDecorators(
    ApiProperty({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      format: 'password',
      example: 'correct horse battery staple',
    }),
    IsString(),
    MinLength(PASSWORD_MIN_LENGTH),
    MaxLength(PASSWORD_MAX_LENGTH),
    IsStorableText({ allowControl: true }),
    ValidateBy({
      name: 'isNotCommonPassword',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !isCommonPassword(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'password'} is one of the most common passwords; choose another`,
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
