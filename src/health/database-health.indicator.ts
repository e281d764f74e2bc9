import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

const PING_TIMEOUT_MS = 1_000;

/**
 * `SELECT 1` on the application's data source. Terminus' TypeOrmHealthIndicator requires
 * `@nestjs/typeorm` and `typeorm` by name when it is constructed, which the bundle cannot satisfy:
 * the image ships only the packages the bundles load (30 MB of TypeORM is inside the bundle).
 */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  async check(key: 'database') {
    const session = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timeout of ${PING_TIMEOUT_MS}ms exceeded`)),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
      return session.up();
    } catch (error) {
      return session.down({ message: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
}
