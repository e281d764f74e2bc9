import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator.js';
import { ProblemDetailsDto } from '../common/errors/problem-details.dto.js';
import { LivenessResponseDto, ReadinessResponseDto } from './dto/health-response.dto.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 while the process can serve; touches no dependency. */
  @Get('live')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponseDto {
    return { status: 'ok' };
  }

  /**
   * 200 when the database answers; 503 when it does not or when shutdown has begun. The cache
   * (Redis) is reported but never makes the replica unready.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({ type: ReadinessResponseDto })
  @ApiServiceUnavailableResponse({ type: ProblemDetailsDto, description: 'Not ready' })
  ready(): Promise<ReadinessResponseDto> {
    return this.health.readiness();
  }
}
