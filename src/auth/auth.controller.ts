import { Body, Controller, Delete, Get, Headers, HttpCode, Ip, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/security/authenticated-user.js';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator.js';
import { CurrentUser } from '../common/decorators/current-user.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { API_PREFIX } from '../common/http/api-prefix.js';
import { ParseUuidPipe } from '../common/pipes/parse-uuid.pipe.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { toUserResponse, UserResponseDto } from '../users/dto/user-response.dto.js';
import { AuthService } from './auth.service.js';
import { callerOf } from './caller.js';
import { ChangePasswordDto, LoginDto, RefreshDto, RegisterDto } from './dto/auth-requests.dto.js';
import {
  SessionResponseDto,
  toSessionResponse,
  TokenPairResponseDto,
} from './dto/auth-responses.dto.js';
import { SessionsService } from './sessions.service.js';

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
  @ApiOperation({ summary: 'Create an account' })
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
  @ApiOperation({ summary: 'Sign in: a new session with an access and a refresh token' })
  @ApiOkResponse({ type: TokenPairResponseDto })
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
  @ApiOperation({
    summary: 'Exchange a refresh token for a new pair',
    description:
      'The presented refresh token dies. Presenting it again revokes the whole session, except within ' +
      'REFRESH_REUSE_GRACE_S seconds, where the same new pair is returned (several tabs refreshing at once).',
  })
  @ApiOkResponse({ type: TokenPairResponseDto })
  @ApiProblemResponses(400, 401, 429)
  refresh(@Body() body: RefreshDto): Promise<TokenPairResponseDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Sign out this session: its access and refresh tokens stop working at once',
  })
  @ApiNoContentResponse()
  @ApiProblemResponses(401)
  logout(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.sessions.logout(callerOf(user));
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Sign out every session of this user' })
  @ApiNoContentResponse()
  @ApiProblemResponses(401)
  logoutAll(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    return this.sessions.logoutAll(callerOf(user));
  }

  @Get('sessions')
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Your active sessions' })
  @ApiOkResponse({ type: [SessionResponseDto] })
  @ApiProblemResponses(401)
  async listSessions(@CurrentUser() user: AuthenticatedUser): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.list(callerOf(user));
    return sessions.map(toSessionResponse);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Sign out one of your sessions' })
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
  @ApiOperation({ summary: 'Change your password; every other session is signed out' })
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
