import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  ValidateIf,
} from 'class-validator';
import { USER_ROLES, USER_STATUSES, type UserRole, type UserStatus } from '../user.entity.js';
import { DisplayNameField } from './display-name-field.decorator.js';

// Absent means "unchanged"; null is validated (and refused) rather than skipped as IsOptional
// would, since neither column takes NULL (it was a 500).
const isPresent = (_object: object, value: unknown) => value !== undefined;

/** What an admin may change on any account. */
export class UpdateUserDto {
  @DisplayNameField()
  displayName?: string | null;

  /** Changing the roles either way signs out all of the account's sessions; its next sign-in carries them. */
  @ApiPropertyOptional({ enum: USER_ROLES, isArray: true, example: ['user', 'admin'] })
  @ValidateIf(isPresent)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(USER_ROLES.length)
  @ArrayUnique()
  @IsIn(USER_ROLES, { each: true })
  roles?: UserRole[];

  /** Disabling an account signs out all of its sessions at once. */
  @ApiPropertyOptional({ enum: USER_STATUSES, example: 'disabled' })
  @ValidateIf(isPresent)
  @IsIn(USER_STATUSES)
  status?: UserStatus;
}
