import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import { ParseUuidPipe } from '../common/pipes/parse-uuid.pipe.js';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { Roles } from '../users/roles.decorator.js';
import { AuditService } from './audit.service.js';
import { AuthEventsPageResponseDto, toAuthEventResponse } from './dto/auth-event-response.dto.js';
import { ListAuthEventsQueryDto } from './dto/list-auth-events-query.dto.js';

const PAGE_DESCRIPTION =
  'Newest first, cursor-paginated (`limit` 1..100, default 20; pass `nextCursor` as `cursor`). ' +
  'Types: registered, login_succeeded, login_failed, refresh, refresh_reuse_detected, logout, ' +
  'logout_all, session_revoked, password_changed, password_reset_requested, ' +
  'password_reset_completed, email_verification_sent, email_verified, email_change_requested, ' +
  'email_change_confirmed, account_disabled, account_enabled, account_deleted, roles_changed. ' +
  'Kept AUDIT_RETENTION_DAYS. Events of sign-in, refresh and sign-out reach other replicas within ' +
  'a fraction of a second.';

// Never cached (no @CacheResponse): a history read right after an event must show it.
@ApiTags('users')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401, 503)
@Controller(`${API_PREFIX}/users`)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  // Declared before `:id/events`, which would otherwise take `me` for an id.
  @Get('me/events')
  @ApiOperation({ summary: 'Your account history', description: PAGE_DESCRIPTION })
  @ApiOkResponse({ type: AuthEventsPageResponseDto })
  @ApiProblemResponses(400)
  findMine(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListAuthEventsQueryDto,
  ): Promise<AuthEventsPageResponseDto> {
    return this.page(caller.id, query);
  }

  @Get(':id/events')
  @Roles('admin')
  @ApiOperation({
    summary: "A user's account history (admin)",
    description:
      `${PAGE_DESCRIPTION} Events outlive the account (a deleted user's history, ending with ` +
      '`account_deleted`, stays readable), so an unknown id is an empty page, not a 404.',
  })
  @ApiOkResponse({ type: AuthEventsPageResponseDto })
  @ApiProblemResponses(400, 403)
  findForUser(
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ListAuthEventsQueryDto,
  ): Promise<AuthEventsPageResponseDto> {
    return this.page(id, query);
  }

  private async page(
    userId: string,
    query: ListAuthEventsQueryDto,
  ): Promise<AuthEventsPageResponseDto> {
    const page = await this.audit.listForUser({
      userId,
      limit: query.limit,
      cursor: query.cursor,
    });
    return { data: page.events.map(toAuthEventResponse), nextCursor: page.nextCursor };
  }
}
