import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { IsStorableText } from '../../common/validation/text.validators.js';

export const DISPLAY_NAME_MAX_LENGTH = 100;

/** Optional display name, stored exactly as sent (no trimming); `null` clears it. */
export function DisplayNameField() {
  return applyDecorators(
    ApiPropertyOptional({
      type: String,
      nullable: true,
      minLength: 1,
      maxLength: DISPLAY_NAME_MAX_LENGTH,
      example: 'Ada Lovelace',
    }),
    IsOptional(),
    ValidateIf((_object, value) => value !== null),
    IsString(),
    MinLength(1),
    MaxLength(DISPLAY_NAME_MAX_LENGTH),
    IsStorableText(),
  );
}
