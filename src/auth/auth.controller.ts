import { Body, Controller, Delete, Get, Headers, HttpCode, Ip, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import {
  ApiProblemResponse,
  ApiProblemResponses,
} from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser, CurrentUserIfAny } from '../common/decorators/current-user.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import { ParseUuidPipe } from '../common/pipes/parse-uuid.pipe.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto.js';
import { AuthService } from './auth.service.js';
import { AuthErrors } from './auth.errors.js';
import { callerOf } from './caller.js';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth-requests.dto.js';
import {
  SessionResponseDto,
  toSessionResponse,
  TokenPairResponseDto,
} from './dto/auth-responses.dto.js';
import { PresentedRefreshCookie, RefreshCookie } from './refresh-cookie.decorator.js';
import { SessionsService } from './sessions.service.js';

const SETS_COOKIE = {
  'Set-Cookie': {
    description:
      'Cookie mode (AUTH_COOKIES) only: `refresh_token=<refreshToken>; Max-Age=<refreshExpiresIn>; ' +
      'HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth`.',
    schema: { type: 'string' },
  },
};

const ORIGIN_NOT_ALLOWED =
  'Cookie mode: the request carries the refresh cookie from an Origin not in CORS_ORIGINS ' +
  '(`AUTH_ORIGIN_NOT_ALLOWED`)';

const COOKIE_ORIGIN_RULE =
  'Cookie mode (AUTH_COOKIES): a request carrying the `refresh_token` cookie must send an `Origin` ' +
  'listed in CORS_ORIGINS (or, without `Origin`, `Sec-Fetch-Site: same-origin`); otherwise 403 ' +
  '`AUTH_ORIGIN_NOT_ALLOWED`.';

@ApiTags('auth')
@ApiProblemResponses(503)
@Controller(`${API_PREFIX}/auth`)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  @Public()
  @RateLimit('register')
  @ApiOperation({
    summary: 'Create an account',
    description:
      'The email is normalised (trimmed, lower case) and must be free (`409 USERS_EMAIL_TAKEN`); ' +
      'the password must meet the policy (12..128 characters, not guessable). The account starts ' +
      'unverified and a verification link is mailed to it. Answers the new user; sign in with ' +
      '`POST /auth/login`.',
  })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiProblemResponses(400, 409, 413, 415, 429)
  async register(@Body() body: RegisterDto): Promise<UserResponseDto> {
    return toUserResponse(
      await this.auth.register(body.email, body.password, body.displayName ?? null),
    );
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @RateLimit('login')
  @RefreshCookie({ accepts: false, response: 'set' })
  @ApiOperation({
    summary: 'Sign in: a new session with an access and a refresh token',
    description: 'In cookie mode (AUTH_COOKIES) the refresh token is also set as a cookie.',
  })
  // Merges with what @Headers('user-agent') documents (a required parameter otherwise).
  @ApiHeader({
    name: 'user-agent',
    required: false,
    description: 'Recorded with the session (`GET /auth/sessions`); clients send it themselves.',
  })
  @ApiOkResponse({ type: TokenPairResponseDto, headers: SETS_COOKIE })
  @ApiProblemResponses(400, 401, 403, 429)
  login(
    @Body() body: LoginDto,
    @Ip() ip: string,
    @Headers('user-agent') userAgent?: string,
  ): Promise<TokenPairResponseDto> {
    return this.auth.login(body.email, body.password, { ip, userAgent });
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @RateLimit('refresh')
  @RefreshCookie({ accepts: true, response: 'set' })
  @ApiSecurity({})
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The presented refresh token dies. Presenting it again revokes the whole session, except within ' +
      'REFRESH_REUSE_GRACE_S seconds, where the same new pair is returned (several tabs refreshing at once). ' +
      'In cookie mode the token may come as the `refresh_token` cookie with an empty body (`{}`); ' +
      'a token in the body wins over the cookie, and the new one is set as the cookie. With neither: ' +
      '401 `AUTH_REFRESH_MISSING` (400 `VALIDATION_FAILED` outside cookie mode). ' +
      COOKIE_ORIGIN_RULE,
  })
  @ApiBody({ type: RefreshDto, required: false })
  @ApiOkResponse({ type: TokenPairResponseDto, headers: SETS_COOKIE })
  @ApiProblemResponses(400, 429)
  @ApiProblemResponse(
    401,
    'Unknown, expired or revoked refresh token (`AUTH_REFRESH_INVALID`), a used one ' +
      '(`AUTH_REFRESH_REUSED`, the session is revoked); cookie mode: neither a body token nor the ' +
      'cookie (`AUTH_REFRESH_MISSING`)',
  )
  @ApiProblemResponse(403, ORIGIN_NOT_ALLOWED)
  refresh(
    @Body() body: RefreshDto,
    @PresentedRefreshCookie() cookie: string | undefined,
  ): Promise<TokenPairResponseDto> {
    return this.auth.refresh(body.refreshToken ?? cookie);
  }

  @Post('logout')
  @HttpCode(204)
  @RefreshCookie({ accepts: true, response: 'clear' })
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Sign out this session: its access and refresh tokens stop working at once',
    description:
      'Authenticated by the bearer access token or, in cookie mode, by the `refresh_token` cookie ' +
      '(used when there is no valid bearer token; then an unknown or used refresh token is 401 ' +
      '`AUTH_REFRESH_INVALID`). In cookie mode the answer deletes the cookie (`Max-Age=0`). ' +
      COOKIE_ORIGIN_RULE,
  })
  @ApiNoContentResponse({
    headers: {
      'Set-Cookie': {
        description:
          'Cookie mode only: `refresh_token=; Max-Age=0; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth`.',
        schema: { type: 'string' },
      },
    },
  })
  @ApiProblemResponse(
    401,
    'No bearer token (`AUTH_TOKEN_MISSING`) or an invalid one; cookie mode, without a valid ' +
      'bearer token: an unknown or used refresh cookie (`AUTH_REFRESH_INVALID`)',
  )
  @ApiProblemResponse(403, ORIGIN_NOT_ALLOWED)
  logout(
    @CurrentUserIfAny() user: AuthenticatedUser | undefined,
    @PresentedRefreshCookie() cookie: string | undefined,
  ): Promise<void> {
    if (user) return this.sessions.logout(callerOf(user));
    // The bearer guard let the request in without a valid access token: the cookie stands in.
    if (cookie === undefined) throw AuthErrors.tokenMissing();
    return this.sessions.logoutWithRefreshToken(cookie);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Sign out every session of this user',
    description:
      "Revokes all of the caller's sessions, this one included: their access tokens stop " +
      'working at once and their refresh tokens can no longer be exchanged.',
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(401)
  logoutAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.sessions.logoutAll(callerOf(user));
  }

  @Get('sessions')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Your active sessions',
    description:
      'The sessions of the signed-in user that are neither revoked nor expired, with the client ' +
      'address and user agent they were opened from; `current` marks the one making the request.',
  })
  @ApiOkResponse({ type: [SessionResponseDto] })
  @ApiProblemResponses(401)
  async listSessions(@CurrentUser() user: AuthenticatedUser): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.list(callerOf(user));
    return sessions.map(toSessionResponse);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Sign out one of your sessions',
    description:
      'Revokes the session with this id (from `GET /auth/sessions`) if it is one of yours; its ' +
      "tokens stop working at once. Someone else's or an unknown session is `404`.",
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 401, 404)
  revokeSession(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<void> {
    return this.sessions.revoke(callerOf(user), id);
  }

  @Post('password')
  @HttpCode(204)
  @RateLimit('password')
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Change your password; every other session is signed out',
    description:
      'Needs the current password (`400 AUTH_PASSWORD_INCORRECT` when wrong; repeated wrong ' +
      'ones are rate limited, `429`); the new one follows the registration policy. The session ' +
      'making the request stays signed in.',
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(400, 401, 429)
  changePassword(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Ip() ip: string,
  ): Promise<void> {
    return this.auth.changePassword(callerOf(user), body.currentPassword, body.newPassword, ip);
  }
}
