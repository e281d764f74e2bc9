import { Controller, Get, Header } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator.js';
import { ProblemDetailsDto } from '../common/errors/problem-details.dto.js';
import { LivenessResponseDto, ReadinessResponseDto } from './dto/health-response.dto.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Liveness: the process can serve',
    description:
      '200 while the process can answer HTTP; touches no dependency, so a database or Redis ' +
      "outage never gets the process restarted. For the orchestrator's liveness probe.",
  })
  @ApiOkResponse({ type: LivenessResponseDto })
  live(): LivenessResponseDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Readiness: the replica should get traffic',
    description:
      '200 when the database answers; 503 when it does not or when shutdown has begun, so the ' +
      'load balancer stops sending requests. The cache (Redis) is reported but never makes the ' +
      "replica unready. For the orchestrator's readiness probe.",
  })
  @ApiOkResponse({ type: ReadinessResponseDto })
  @ApiServiceUnavailableResponse({ type: ProblemDetailsDto, description: 'Not ready' })
  ready(): Promise<ReadinessResponseDto> {
    return this.health.readiness();
  }
}
