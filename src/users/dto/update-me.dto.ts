import { DisplayNameField } from './display-name-field.decorator.js';

export class UpdateMeDto {
  @DisplayNameField()
  displayName?: string | null;
}
