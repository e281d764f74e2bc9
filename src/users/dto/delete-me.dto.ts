import { PresentedPasswordField } from '../../common/security/password-field.decorator.js';

export class DeleteMeDto {
  /** Your current password: a stolen access token alone cannot delete the account. */
  @PresentedPasswordField()
  password: string;
}
