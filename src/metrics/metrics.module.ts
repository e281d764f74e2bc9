import { Module } from '@nestjs/common';
import { DatabasePoolMetrics } from './database-pool.metrics.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsExporter } from './metrics.exporter.js';
import { MetricsService } from './metrics.service.js';

@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsExporter, DatabasePoolMetrics],
  exports: [MetricsService],
})
export class MetricsModule {}
