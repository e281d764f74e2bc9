import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, ValidateBy, ValidateIf } from 'class-validator';
import { DisplayNameField } from '../../users/dto/display-name-field.decorator.js';
import { EmailField } from '../../users/dto/email-field.decorator.js';
import { looksLikeRefreshToken, REFRESH_TOKEN_PATTERN } from '../tokens/refresh-token.js';
import {
  NewPasswordField,
  PresentedPasswordField,
} from '../../common/security/password-field.decorator.js';

export class RegisterDto {
  @EmailField()
  email: string;

  @NewPasswordField()
  password: string;

  @DisplayNameField()
  displayName?: string | null;
}

export class LoginDto {
  @EmailField()
  email: string;

  @PresentedPasswordField()
  password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({
    example: 'q3J4X0e2c2lWb2Q1cGZ3dW5mR3ZrS3l6bFJ0d0xqUm9',
    description:
      'The opaque refresh token. Required unless cookie mode (AUTH_COOKIES) is on and the ' +
      'refresh_token cookie is sent; when both are present, this one is used.',
    pattern: REFRESH_TOKEN_PATTERN,
  })
  // Absent: the cookie may stand in (the service decides); null or any other value is checked.
  @ValidateIf((_dto, value) => value !== undefined)
  @IsString()
  @ValidateBy({
    name: 'isRefreshToken',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && looksLikeRefreshToken(value),
      defaultMessage: () => 'refreshToken is not a refresh token',
    },
  })
  refreshToken?: string;
}

export class ChangePasswordDto {
  @PresentedPasswordField()
  currentPassword: string;

  @NewPasswordField()
  newPassword: string;
}
