import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import {
  NewPasswordField,
  PresentedPasswordField,
} from '../../common/security/password-field.decorator.js';
import { EmailField } from '../../users/dto/email-field.decorator.js';

// Longer than any token issued (43 characters): a wrong but short value is answered as an unknown
// token (ACCOUNT_TOKEN_INVALID), not as a validation error.
const TOKEN_MAX_LENGTH = 256;

/** The token from a mailed link's `?token=`. */
function LinkTokenField() {
  return applyDecorators(
    ApiProperty({
      description: 'The `token` query parameter of the link in the mail',
      example: 'q3J4X0e2c2lWb2Q1cGZ3dW5mR3ZrS3l6bFJ0d0xqUm9',
      maxLength: TOKEN_MAX_LENGTH,
    }),
    IsString(),
    MaxLength(TOKEN_MAX_LENGTH),
  );
}

export class VerifyEmailDto {
  @LinkTokenField()
  token: string;
}

export class ForgotPasswordDto {
  @EmailField()
  email: string;
}

export class ResetPasswordDto {
  @LinkTokenField()
  token: string;

  @NewPasswordField()
  newPassword: string;
}

export class ChangeEmailDto {
  @EmailField()
  newEmail: string;

  /** Your current password: a stolen access token alone cannot move the account. */
  @PresentedPasswordField()
  password: string;
}

export class ConfirmEmailChangeDto {
  @LinkTokenField()
  token: string;
}
