import { Body, Controller, HttpCode, Ip, Post, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiEtagOkResponse } from '../common/decorators/api-etag-ok-response.decorator.js';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import { type WithEtag } from '../common/http/with-etag.js';
import { EtagInterceptor } from '../common/interceptors/etag.interceptor.js';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { toTaggedUserResponse, UserResponseDto } from '../users/dto/user-response.dto.js';
import { ChangeEmailDto, ConfirmEmailChangeDto } from './dto/account-requests.dto.js';
import { EmailChangeService } from './email-change.service.js';

/** Changing the signed-in user's email address, confirmed through the new address. */
@ApiTags('users')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401, 503)
@UseInterceptors(EtagInterceptor)
@Controller(`${API_PREFIX}/users/me/email`)
export class EmailChangeController {
  constructor(private readonly emailChange: EmailChangeService) {}

  @Post()
  @HttpCode(202)
  @RateLimit('account_mail')
  @ApiOperation({
    summary: 'Ask to change your email address; a confirmation link goes to the new one',
    description:
      'Needs your current password (`400 AUTH_PASSWORD_INCORRECT` when wrong; repeated wrong ' +
      'passwords lock this address out, `429 AUTH_ACCOUNT_LOCKED`). Nothing changes until the link ' +
      'is confirmed. `409 USERS_EMAIL_TAKEN` when another account has the address, ' +
      '`400 ACCOUNT_EMAIL_UNCHANGED` when it is already yours.',
  })
  @ApiAcceptedResponse({ description: 'A confirmation mail to the new address is queued' })
  @ApiProblemResponses(400, 409, 415, 429)
  async requestChange(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangeEmailDto,
    @Ip() ip: string,
  ): Promise<void> {
    await this.emailChange.request(
      { userId: user.id, sessionId: user.sessionId },
      body.newEmail,
      body.password,
      ip,
    );
  }

  @Post('confirm')
  @HttpCode(200)
  @RateLimit('account_link')
  @ApiOperation({
    summary: 'Confirm the email change with the token from the mail sent to the new address',
    description:
      'The account moves to the new address (verified); the old one no longer signs in and gets a ' +
      'notice. Every other session ends; this one stays. `409 USERS_EMAIL_TAKEN` when another ' +
      'account took the address meanwhile; `400 ACCOUNT_TOKEN_INVALID`, `ACCOUNT_TOKEN_USED` or ' +
      "`ACCOUNT_TOKEN_EXPIRED` for a link that cannot be used (or is another account's).",
  })
  @ApiEtagOkResponse(UserResponseDto, 'The updated user')
  @ApiProblemResponses(400, 409, 415, 429)
  async confirmChange(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ConfirmEmailChangeDto,
  ): Promise<WithEtag<UserResponseDto>> {
    return toTaggedUserResponse(
      await this.emailChange.confirm({ userId: user.id, sessionId: user.sessionId }, body.token),
    );
  }
}
