import { ApiProperty } from '@nestjs/swagger';
import { WithEtag } from '../../common/http/with-etag.js';
import { userEtag } from '../user-etag.js';
import {
  USER_ROLES,
  USER_STATUSES,
  type User,
  type UserRole,
  type UserStatus,
} from '../user.entity.js';

/** A user as clients see it. Never built from anything but `toUserResponse`: no hash can leak. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid', example: '0b6d7c1e-3f7e-4a55-9a8c-2f1d5c3b9e10' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  displayName: string | null;

  @ApiProperty({ enum: USER_ROLES, isArray: true, example: ['user'] })
  roles: UserRole[];

  @ApiProperty({ enum: USER_STATUSES, example: 'active' })
  status: UserStatus;

  /** True once the owner followed a link mailed to `email`. */
  @ApiProperty({ example: false })
  emailVerified: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    roles: user.roles,
    status: user.status,
    emailVerified: user.emailVerified,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

/** The user with its ETag header, for single-user responses. */
export function toTaggedUserResponse(user: User): WithEtag<UserResponseDto> {
  return new WithEtag(toUserResponse(user), userEtag(user));
}

export class UsersPageResponseDto {
  @ApiProperty({ type: [UserResponseDto] })
  data: UserResponseDto[];

  /** Pass as `cursor` to get the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true, example: 'eyJjIjoiMjAyNi0xMS0yNVQxODo0OTox...' })
  nextCursor: string | null;
}
