import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Ip,
  Param,
  Patch,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { ApiEtagOkResponse } from '../common/decorators/api-etag-ok-response.decorator.js';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { EtagInterceptor } from '../common/interceptors/etag.interceptor.js';
import { Roles } from './roles.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import { WithEtag } from '../common/http/with-etag.js';
import { ParseUuidPipe } from '../common/pipes/parse-uuid.pipe.js';
import { isUuid } from '../common/validation/uuid.js';
import { CacheResponse } from '../cache/cache-response.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { DeleteMeDto } from './dto/delete-me.dto.js';
import { UpdateMeDto } from './dto/update-me.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import {
  toTaggedUserResponse,
  toUserResponse,
  UserResponseDto,
  UsersPageResponseDto,
} from './dto/user-response.dto.js';
import { expectedVersionFrom } from './user-etag.js';
import { USERS_LIST_TAG, userTag } from './users.cache-tags.js';
import { UsersService } from './users.service.js';

// Named as the parameter `@Headers(IF_MATCH.name)` documents (lower case), so the two merge into
// one optional header in the document.
const IF_MATCH = {
  name: 'if-match',
  required: false,
  description:
    'ETag from a previous read; the write is refused with 412 if the user changed since.',
};

@ApiTags('users')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401, 503)
@UseInterceptors(EtagInterceptor)
@Controller(`${API_PREFIX}/users`)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @CacheResponse({ scope: 'user', tags: ({ userId }) => [userTag(userId ?? '')] })
  @ApiOperation({
    summary: 'The signed-in user',
    description:
      'The account the bearer token belongs to. The `ETag` header is the value to send as ' +
      '`If-Match` on `PATCH` or `DELETE /users/me`; answers may come from the cache (`X-Cache`).',
  })
  @ApiEtagOkResponse(UserResponseDto)
  async findMe(@CurrentUser() caller: AuthenticatedUser): Promise<WithEtag<UserResponseDto>> {
    return toTaggedUserResponse(await this.users.getById(caller.id));
  }

  @Patch('me')
  @ApiOperation({
    summary: 'Update your own profile',
    description:
      'Changes the display name (`null` clears it); fields left out stay as they are. With ' +
      '`If-Match`, the write only happens if the account has not changed since that read ' +
      '(`412 PRECONDITION_FAILED` otherwise). Answers the updated user with its new `ETag`.',
  })
  @ApiHeader(IF_MATCH)
  @ApiEtagOkResponse(UserResponseDto)
  @ApiProblemResponses(400, 412, 415)
  async updateMe(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() changes: UpdateMeDto,
    @Headers(IF_MATCH.name) ifMatch?: string,
  ): Promise<WithEtag<UserResponseDto>> {
    const expectedVersion = expectedVersionFrom(ifMatch, caller.id);
    return toTaggedUserResponse(
      await this.users.updateProfile(caller.id, changes, expectedVersion),
    );
  }

  @Delete('me')
  @HttpCode(204)
  @RateLimit('password')
  @ApiOperation({
    summary: 'Delete your account and all of its sessions; needs your current password',
    description:
      'A wrong password is `400 AUTH_PASSWORD_INCORRECT`, as on `POST /auth/password`; attempts ' +
      'count against the same per-user and per-IP limits as password changes, and repeated wrong ' +
      'passwords from one address lock it (`429 AUTH_ACCOUNT_LOCKED`) as they do there.',
  })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 409, 412, 415, 429)
  async removeMe(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: DeleteMeDto,
    @Ip() ip: string,
    @Headers(IF_MATCH.name) ifMatch?: string,
  ): Promise<void> {
    await this.users.removeSelf(
      caller.id,
      body.password,
      ip,
      expectedVersionFrom(ifMatch, caller.id),
    );
  }

  @Get()
  @Roles('admin')
  // Shared between admins: the guards have already refused everyone else.
  @CacheResponse({ scope: 'public', tags: () => [USERS_LIST_TAG] })
  @ApiOperation({
    summary: 'List users (admin); newest first, cursor-paginated',
    description:
      'Filters by email prefix, role and status. `limit` 1..100 (default 20); pass `nextCursor` ' +
      'as `cursor` for the next page (`null` on the last). Admins only (`403 AUTH_FORBIDDEN`).',
  })
  @ApiOkResponse({ type: UsersPageResponseDto })
  @ApiProblemResponses(400, 403)
  async findAll(@Query() query: ListUsersQueryDto): Promise<UsersPageResponseDto> {
    const page = await this.users.list({
      limit: query.limit,
      cursor: query.cursor,
      emailPrefix: query.email,
      role: query.role,
      status: query.status,
    });
    return { data: page.users.map(toUserResponse), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Roles('admin')
  @CacheResponse({
    scope: 'public',
    tags: ({ params }) => (isUuid(params.id) ? [userTag(params.id)] : undefined),
  })
  @ApiOperation({
    summary: 'Get a user (admin)',
    description:
      'Any account by id, with the `ETag` to send as `If-Match` on `PATCH` or `DELETE`. An id ' +
      'that is not a UUID is `400`; an unknown one `404`.',
  })
  @ApiEtagOkResponse(UserResponseDto)
  @ApiProblemResponses(400, 403, 404)
  async findOne(@Param('id', ParseUuidPipe) id: string): Promise<WithEtag<UserResponseDto>> {
    return toTaggedUserResponse(await this.users.getById(id));
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    summary: 'Update a user (admin): display name, roles, status',
    description:
      'Changing the roles or disabling the account signs out all of its sessions. Removing the ' +
      'admin role from, or disabling, the last active admin is `409 USERS_LAST_ADMIN`. With `If-Match`, refused ' +
      'with `412` if the user changed since that read.',
  })
  @ApiHeader(IF_MATCH)
  @ApiEtagOkResponse(UserResponseDto)
  @ApiProblemResponses(400, 403, 404, 409, 412, 415)
  async update(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() changes: UpdateUserDto,
    @Headers(IF_MATCH.name) ifMatch?: string,
  ): Promise<WithEtag<UserResponseDto>> {
    return toTaggedUserResponse(
      await this.users.updateByAdmin(id, changes, expectedVersionFrom(ifMatch, id), caller.id),
    );
  }

  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user and all of its sessions (admin)',
    description:
      'The account and its sessions are gone at once; its tokens stop working. Deleting the last ' +
      'active admin is `409 USERS_LAST_ADMIN`. With `If-Match`, refused with `412` if the user changed since.',
  })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 403, 404, 409, 412)
  async remove(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', ParseUuidPipe) id: string,
    @Headers(IF_MATCH.name) ifMatch?: string,
  ): Promise<void> {
    await this.users.remove(id, expectedVersionFrom(ifMatch, id), caller.id);
  }
}
