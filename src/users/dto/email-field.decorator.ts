import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, ValidateBy } from 'class-validator';
import { hasForbiddenEmailCharacters, normalizeEmail } from '../email.js';

export const EMAIL_MAX_LENGTH = 254;

/** An email address: normalized once on the way in, refused if it hides invisible characters. */
export function EmailField() {
  return applyDecorators(
    ApiProperty({ example: 'ada@example.com', maxLength: EMAIL_MAX_LENGTH, format: 'email' }),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? normalizeEmail(value) : value,
    ),
    IsString(),
    MaxLength(EMAIL_MAX_LENGTH),
    ValidateBy({
      name: 'hasNoInvisibleCharacters',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && !hasForbiddenEmailCharacters(value),
        defaultMessage: () =>
          'email must not contain invisible, bidirectional or control characters',
      },
    }),
    IsEmail({ allow_utf8_local_part: true, require_tld: true, allow_ip_domain: false }),
  );
}
