import { Module } from '@nestjs/common';
import { RedisModule } from '../redis/redis.module.js';
import { DatabasePoolMetrics } from './database-pool.metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsExporter } from './metrics.exporter.js';
import { MetricsService } from './metrics.service.js';
import { RedisMetrics } from './redis.metrics.js';

@Module({
  imports: [RedisModule],
  controllers: [MetricsController],
  providers: [MetricsService, MetricsExporter, DatabasePoolMetrics, RedisMetrics],
  exports: [MetricsService],
})
export class MetricsModule {}
