import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { DisplayNameField } from '../../users/dto/display-name-field.decorator.js';
import { EmailField } from '../../users/dto/email-field.decorator.js';
import { NewPasswordField, PresentedPasswordField } from './password-field.decorator.js';

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
  @ApiProperty({
    example: 'q3J4X0e2c2lWb2Q1cGZ3dW5mR3ZrS3l6bFJ0d0xqUm9',
    description: 'The opaque refresh token',
  })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'refreshToken is not a refresh token' })
  refreshToken: string;
}

export class ChangePasswordDto {
  @PresentedPasswordField()
  currentPassword: string;

  @NewPasswordField()
  newPassword: string;
}
