import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator.js';
import { JwksResponseDto } from './dto/auth-responses.dto.js';
import { SigningKeys } from './tokens/signing-keys.js';

@ApiTags('auth')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Public keys that verify access tokens (RFC 7517), for other services',
    description:
      'The ES256 public keys, by `kid`, that access tokens are signed with: the current key and ' +
      'any still accepted after a rotation. Cacheable for five minutes; a verifier that meets an ' +
      'unknown `kid` fetches it again.',
  })
  @ApiOkResponse({ type: JwksResponseDto })
  jwks(): JwksResponseDto {
    return this.keys.jwks() as JwksResponseDto;
  }
}
