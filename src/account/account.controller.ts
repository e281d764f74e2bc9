import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { AcceptedResponseDto } from './dto/account-responses.dto.js';
import { ForgotPasswordDto, ResetPasswordDto, VerifyEmailDto } from './dto/account-requests.dto.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordResetService } from './password-reset.service.js';

const TOKEN_PROBLEMS =
  'A token that is unknown or replaced by a newer link is `400 ACCOUNT_TOKEN_INVALID`, one already ' +
  'used `400 ACCOUNT_TOKEN_USED`, one past its lifetime `400 ACCOUNT_TOKEN_EXPIRED`.';

const RESET_REQUESTED: AcceptedResponseDto = {
  message: 'If an active account uses this address, a link to reset its password is on its way.',
};

/** Email verification and password reset: the account lifecycle routes under /auth. */
@ApiTags('auth')
@ApiProblemResponses(503)
@Controller(`${API_PREFIX}/auth`)
export class AccountController {
  constructor(
    private readonly verification: EmailVerificationService,
    private readonly passwordReset: PasswordResetService,
  ) {}

  @Post('verify-email')
  @Public()
  @HttpCode(204)
  @RateLimit('account_link')
  @ApiOperation({
    summary: 'Verify your email address with the token from the mailed link',
    description: `The link (\`APP_URL/verify-email?token=...\`) works once. ${TOKEN_PROBLEMS}`,
  })
  @ApiNoContentResponse({ description: 'The address is verified (`emailVerified: true`)' })
  @ApiProblemResponses(400, 415, 429)
  verifyEmail(@Body() body: VerifyEmailDto): Promise<void> {
    return this.verification.verify(body.token);
  }

  @Post('verify-email/resend')
  @HttpCode(202)
  @RateLimit('account_mail')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Mail a new verification link to your address',
    description:
      'The new link voids the older ones. Limited per address and per account ' +
      '(RATE_LIMIT_ACCOUNT_MAIL_PER_MIN); `409 ACCOUNT_EMAIL_ALREADY_VERIFIED` when there is no need.',
  })
  @ApiAcceptedResponse({ description: 'A verification mail is queued' })
  @ApiProblemResponses(401, 409, 429)
  resendVerification(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.verification.resend(user.id);
  }

  @Post('password/forgot')
  @Public()
  @HttpCode(202)
  @RateLimit('account_mail')
  @ApiOperation({
    summary: 'Mail a password reset link',
    description:
      'Always `202` with the same body, answered before the address is even looked up: the answer ' +
      'never tells whether an account exists. Only an active account gets a mail; a new link voids ' +
      'the older ones and lives RESET_TOKEN_TTL seconds (30 minutes by default).',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiProblemResponses(400, 415, 429)
  forgotPassword(@Body() body: ForgotPasswordDto): AcceptedResponseDto {
    this.passwordReset.requestReset(body.email);
    return RESET_REQUESTED;
  }

  @Post('password/reset')
  @Public()
  @HttpCode(204)
  @RateLimit('account_link')
  @ApiOperation({
    summary: 'Set a new password with the token from the mailed link',
    description: `The new password follows the registration policy. Every session of the account ends. ${TOKEN_PROBLEMS}`,
  })
  @ApiNoContentResponse({ description: 'The password is set; sign in with it' })
  @ApiProblemResponses(400, 415, 429)
  resetPassword(@Body() body: ResetPasswordDto): Promise<void> {
    return this.passwordReset.reset(body.token, body.newPassword);
  }
}
